#pragma once
// The few error kinds that cross the library boundary; cli/ maps each to a documented exit code.
// Hot loops do not throw: these are raised while reading input and loading models.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace simscore {

// A row or file the user gave us is malformed. `line` is 1-based, 0 when the problem is not a line's.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, size_t line, const std::string& problem)
      : std::runtime_error(problem), file_(std::move(file)), line_(line) {}
  const std::string& file() const { return file_; }
  size_t line() const { return line_; }

 private:
  std::string file_;
  size_t line_;
};

// A model directory is missing files, inconsistent or malformed.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A memory budget or another resource limit cannot be met.
class ResourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run was asked to stop (SIGINT/SIGTERM); raised between batches, never inside one.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace simscore
