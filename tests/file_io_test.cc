// Whole-file reads and atomic writes (runtime/core/file_io.cc).
#include "runtime/core/file_io.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

TEST_CASE("read_file returns every byte of a file", "[runtime]") {
  TempDir dir;
  std::string bytes("a\0b\r\n\xff", 6);
  CHECK(read_file(dir.write("f.bin", bytes)) == bytes);
  CHECK(read_file(dir.write("empty", "")).empty());
}

TEST_CASE("read_file names the path of a file it cannot read", "[runtime]") {
  TempDir dir;
  SECTION("a missing file") {
    REQUIRE_THROWS_WITH(read_file(dir / "missing"), (dir / "missing").string() + ": cannot open: No such file or directory");
  }
  SECTION("a directory") {
    REQUIRE_THROWS_WITH(read_file(dir.path()), dir.path().string() + ": read error: Is a directory");
  }
}

TEST_CASE("write_file_atomically creates or replaces the file and leaves nothing else", "[runtime]") {
  TempDir dir;
  write_file_atomically(dir / "out", "first");
  CHECK(slurp(dir / "out") == "first");
  write_file_atomically(dir / "out", std::string(100000, 'z'));
  CHECK(slurp(dir / "out") == std::string(100000, 'z'));
  write_file_atomically(dir / "out", "");
  CHECK(slurp(dir / "out").empty());
  CHECK(dir.entries() == std::vector<std::string>{"out"});

  struct stat st {};
  REQUIRE(::stat((dir / "out").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("write_file_atomically fails without touching the target or leaving a temporary file", "[runtime]") {
  TempDir dir;
  SECTION("the directory does not exist") {
    REQUIRE_THROWS_WITH(write_file_atomically(dir / "no" / "out", "x"),
                        (dir / "no" / "out").string() +
                            ": cannot write file: create temporary file: No such file or directory");
    CHECK(dir.entries().empty());
  }
  SECTION("the target is a non-empty directory, so the final rename fails") {
    dir.write("target/keep", "old");
    REQUIRE_THROWS_WITH(write_file_atomically(dir / "target", "new"),
                        Catch::StartsWith((dir / "target").string() + ": cannot write file: rename"));
    CHECK(dir.entries() == std::vector<std::string>{"target"});
    CHECK(slurp(dir / "target" / "keep") == "old");
  }
}
