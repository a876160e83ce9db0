// Force-included into every C++ file of a ThreadSanitizer build
// (GRAPHC_SANITIZE=thread in CMakeLists.txt).
//
// protobuf 3.21's map_field.h gives MapFieldBase two extra members (seq1_,
// seq2_: 80 bytes instead of 72) when __SANITIZE_THREAD__ is defined. Debian's
// libprotobuf is built without it, so the library and the map code inlined
// into our files (generated .pb.cc, TextFormat users) would disagree on where
// MapFieldBase's mutex, state and the map itself are: parsing any text proto
// with a map field (NodeDef.attr) crashes in
// MapFieldBase::SyncRepeatedFieldWithMap (libprotobuf) ->
// MapField::SyncRepeatedFieldWithMapNoLock (ours). So map_field.h is read
// here, once, with the macro hidden; it has include guards, so every later
// include of it gets the library's layout. Only protobuf's header is affected:
// libstdc++'s configuration (_GLIBCXX_TSAN, which keeps shared_ptr's
// TSan-friendly release path) is read first, with the macro still defined.
#pragma once
#ifdef __cplusplus
#include <cstddef>  // bits/c++config.h: _GLIBCXX_TSAN from __SANITIZE_THREAD__
#pragma push_macro("__SANITIZE_THREAD__")
#undef __SANITIZE_THREAD__
#include <google/protobuf/map_field.h>
#pragma pop_macro("__SANITIZE_THREAD__")
#endif
