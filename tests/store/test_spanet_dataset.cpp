#include "store/spanet_dataset.hpp"

#include <hdf5.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "core/error.hpp"

using cwola::store::parse_spanet_spec;
using cwola::store::read_spanet_dataset;

namespace {

const char* kSpec = R"(
INPUTS: {SEQUENTIAL: {Source: {pt: log_normalize, eta: normalize}}}
EVENT: {h1: [b1, b2], h2: [b1, b2]}
PERMUTATIONS: {EVENT: [[h1, h2]], h1: [[b1, b2]], h2: [[b1, b2]]}
CLASSIFICATIONS: {EVENT: [signal]}
)";

void write(hid_t file, const std::string& name, hid_t type, const void* data,
           std::vector<hsize_t> dims) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t set = H5Dcreate2(file, name.c_str(), type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(set);
  H5Pclose(lcpl);
  H5Sclose(space);
}

/// Three events with 4 jet slots: 4, 3 and 2 real jets; `edit` may spoil one input.
struct Contents {
  std::vector<float> pt = {50, 40, 30, 20, 60, 50, 40, 0, 70, 60, 0, 0};
  std::vector<float> eta = {0.1F, -0.2F, 0.3F, 1.0F, 0.5F, 0.2F, -1.0F, 0, 0, 0.3F, 0, 0};
  std::vector<std::int8_t> mask = {1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0};
  std::vector<std::int64_t> h1_b1 = {0, 2, -1}, h1_b2 = {1, 0, -1};
  std::vector<std::int64_t> h2_b1 = {2, -1, -1}, h2_b2 = {3, -1, -1};
  std::vector<std::int64_t> signal = {1, 1, 0};
  bool with_eta = true;
};

std::string write_file(const Contents& c, const std::string& tag) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("cwola_spanet_" + tag + "_" + std::to_string(::getpid()) + ".h5"))
                        .string();
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  write(file, "INPUTS/Source/pt", H5T_NATIVE_FLOAT, c.pt.data(), {3, 4});
  if (c.with_eta) write(file, "INPUTS/Source/eta", H5T_NATIVE_FLOAT, c.eta.data(), {3, 4});
  write(file, "INPUTS/Source/MASK", H5T_NATIVE_INT8, c.mask.data(), {3, 4});
  write(file, "INPUTS/Source/extra", H5T_NATIVE_FLOAT, c.pt.data(), {3, 4});  // not in spec
  write(file, "TARGETS/h1/b1", H5T_NATIVE_INT64, c.h1_b1.data(), {3});
  write(file, "TARGETS/h1/b2", H5T_NATIVE_INT64, c.h1_b2.data(), {3});
  write(file, "TARGETS/h2/b1", H5T_NATIVE_INT64, c.h2_b1.data(), {3});
  write(file, "TARGETS/h2/b2", H5T_NATIVE_INT64, c.h2_b2.data(), {3});
  write(file, "CLASSIFICATIONS/EVENT/signal", H5T_NATIVE_INT64, c.signal.data(), {3});
  H5Fclose(file);
  return path;
}

std::string error_of(const Contents& c, const std::string& tag, std::uint64_t max_jets = 10) {
  const auto path = write_file(c, tag);
  std::string message = "no error";
  try {
    cwola::store::SpanetDatasetOptions options;
    options.max_jets = max_jets;
    read_spanet_dataset(path, parse_spanet_spec(kSpec, "spec.yaml"), options);
  } catch (const cwola::core::InputError& e) {
    message = e.what();
  }
  std::remove(path.c_str());
  return message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(spanet_dataset)

BOOST_AUTO_TEST_CASE(reads_the_spec_datasets_and_ignores_the_rest) {
  const Contents c;
  const auto path = write_file(c, "good");
  const auto data = read_spanet_dataset(path, parse_spanet_spec(kSpec, "spec.yaml"));
  std::remove(path.c_str());
  BOOST_TEST(data.events == 3U);
  BOOST_TEST(data.jet_slots == 4U);
  BOOST_TEST(data.features.size() == 2U);
  BOOST_TEST(data.jets[(1 * 4 + 2) * 2 + 0] == 40.0F);   // event 1, jet 2, pt
  BOOST_TEST(data.jets[(1 * 4 + 2) * 2 + 1] == -1.0F);   // eta
  BOOST_TEST(data.mask == std::vector<std::uint8_t>(c.mask.begin(), c.mask.end()));
  BOOST_TEST(data.daughters == 2U);
  // [event, particle, daughter]
  BOOST_TEST(data.targets == std::vector<std::int64_t>({0, 1, 2, 3, 2, 0, -1, -1, -1, -1, -1, -1}));
  BOOST_TEST(data.classifications.at(0) == std::vector<std::int64_t>({1, 1, 0}));
}

BOOST_AUTO_TEST_CASE(bad_inputs_name_dataset_event_and_value) {
  Contents missing;
  missing.with_eta = false;
  const auto m = error_of(missing, "missing");
  BOOST_TEST(m.find("INPUTS/Source/eta") != std::string::npos);

  Contents holes;
  holes.mask = {1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0};
  const auto h = error_of(holes, "holes");
  BOOST_TEST(h.find("MASK") != std::string::npos);
  BOOST_TEST(h.find("event 1") != std::string::npos);

  Contents out_of_range;
  out_of_range.h2_b1 = {2, 3, -1};  // jet 3 is padding in event 1
  const auto r = error_of(out_of_range, "range");
  BOOST_TEST(r.find("TARGETS/h2/b1") != std::string::npos);
  BOOST_TEST(r.find("event 1: 3") != std::string::npos);

  Contents duplicated;
  duplicated.h2_b1 = {1, -1, -1};  // jet 1 is already h1's b2
  const auto d = error_of(duplicated, "dup");
  BOOST_TEST(d.find("event 0: 1") != std::string::npos);

  const auto too_many = error_of(Contents{}, "many", 3);
  BOOST_TEST(too_many.find("event 0: 4") != std::string::npos);

  BOOST_TEST(error_of(Contents{}, "fine") == "no error");
}

BOOST_AUTO_TEST_CASE(extra_padding_slots_are_dropped_to_max_jets) {
  const Contents c;
  const auto path = write_file(c, "slots");
  cwola::store::SpanetDatasetOptions options;
  options.max_jets = 3;  // events 1 and 2 have 3 and 2 real jets; slot 3 is padding in both
  options.first = 1;
  const auto data = read_spanet_dataset(path, parse_spanet_spec(kSpec, "spec.yaml"), options);
  std::remove(path.c_str());
  BOOST_TEST(data.events == 2U);
  BOOST_TEST(data.jet_slots == 3U);
  BOOST_TEST(data.mask == std::vector<std::uint8_t>({1, 1, 1, 1, 1, 0}));
  BOOST_TEST(data.targets[0] == 2);
}

BOOST_AUTO_TEST_SUITE_END()
