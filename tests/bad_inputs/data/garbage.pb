
ÿÿÿnot a graph