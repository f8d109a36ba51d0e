/// `cwola images`: makes the two-channel jet images (features/jet_image.hpp) of an event file
/// (store/jet_event_file.hpp) and reports the time taken; a benchmark and check of the image
/// code (bench/preprocessing_bench.py compares it with a numpy version of the same recipe).
#include <boost/program_options.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>

#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "features/jet_image.hpp"
#include "store/jet_event_file.hpp"

namespace cwola::app {

int images_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string events_path;
  std::string output;
  int pixels = 25;
  long long max_events = -1;
  int threads = 1;
  int dump = 100;
  po::options_description options(
      "Usage: cwola images --events FILE [--pixels P] [--max-events N] [--threads T] "
      "[--output TEXT]");
  options.add_options()("help,h", "show this help")(
      "events", po::value(&events_path), "jet event file (J1|J2/{pt,eta,phi})")(
      "pixels", po::value(&pixels)->default_value(25), "pixels per side (25 or 75)")(
      "max-events", po::value(&max_events)->default_value(-1), "image at most N events")(
      "threads", po::value(&threads)->default_value(1), "threads for the images")(
      "output", po::value(&output),
      "text file with the first --dump events' images (one image per line, J1 then J2)")(
      "dump", po::value(&dump)->default_value(100), "events written to --output");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(arguments).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("cwola images: ") + e.what());
  }
  if (vm.count("help") != 0 || events_path.empty()) {
    if (mpi.rank() == 0) std::cout << options;
    return events_path.empty() && vm.count("help") == 0
               ? static_cast<int>(core::ExitCode::kBadInput)
               : 0;
  }
  if (mpi.rank() != 0) return 0;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto data = store::read_jet_event_file(events_path);
  const auto t1 = clock::now();
  std::size_t n = data.size();
  if (max_events >= 0) n = std::min<std::size_t>(n, static_cast<std::size_t>(max_events));
  features::DijetConstituentArrays arrays;
  arrays.max_constituents = data.max_constituents;
  for (int j = 0; j < 2; ++j) {
    arrays.pt[j] = data.pt[j].data();
    arrays.eta[j] = data.eta[j].data();
    arrays.phi[j] = data.phi[j].data();
  }
  std::vector<std::size_t> indices(n);
  std::iota(indices.begin(), indices.end(), 0);
  features::JetImageConfig config;
  config.pixels = pixels;
  std::vector<float> images;
  const auto t2 = clock::now();
  features::make_dijet_images(arrays, indices, config, features::ImageNormalisation::kNone,
                              threads, images);
  const auto t3 = clock::now();
  const double read_s = std::chrono::duration<double>(t1 - t0).count();
  const double image_s = std::chrono::duration<double>(t3 - t2).count();
  double total = 0;
  for (float v : images) total += v;
  std::printf("images: events %zu pixels %d threads %d max_constituents %zu\n", n, pixels,
              threads, data.max_constituents);
  std::printf("images: read_s %.6f image_s %.6f events_per_s %.1f pixel_sum %.6e\n", read_s,
              image_s, image_s > 0 ? n / image_s : 0.0, total);
  if (!output.empty()) {
    std::ofstream out(output);
    if (!out) throw core::InputError("cwola images: cannot write " + output);
    const std::size_t pp = static_cast<std::size_t>(pixels) * pixels;
    const std::size_t rows = 2 * std::min<std::size_t>(n, static_cast<std::size_t>(dump));
    char buffer[32];
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t p = 0; p < pp; ++p) {
        std::snprintf(buffer, sizeof buffer, p == 0 ? "%.9g" : " %.9g", images[r * pp + p]);
        out << buffer;
      }
      out << '\n';
    }
  }
  return 0;
}

}  // namespace cwola::app
