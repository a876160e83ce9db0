// The graphc runtime's public API in one include.
#pragma once

#include "graphc/error.h"
#include "graphc/module.h"
#include "graphc/npy.h"
#include "graphc/session.h"
#include "graphc/tensor.h"
