#pragma once
// A fresh directory for a test's files, unique to the process, the test and the instance
// (ctest runs tests in parallel, and under AddressSanitizer addresses repeat from process to
// process, so neither the seed nor an address makes a name unique), removed at the end.
#include <atomic>
#include <cctype>
#include <filesystem>
#include <string>
#include <system_error>

#include <gtest/gtest.h>
#include <unistd.h>

namespace aida_test {

struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    static std::atomic<unsigned> instances{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = info ? std::string(info->test_suite_name()) + "_" + info->name() : "no_test";
    for (char& c : test)
      if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
    path = std::filesystem::temp_directory_path() /
           ("aida_test_" + std::to_string(::getpid()) + "_" + std::to_string(instances++) + "_" + test);
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace aida_test
