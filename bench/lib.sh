# shellcheck shell=bash
# Helpers shared by the side-by-side benchmark scripts. Source it after
# setting `python` (the interpreter that parses the JSON reports).

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# field NAME: the value of NAME in the JSON object on stdin.
field() { "${python:-python3}" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
