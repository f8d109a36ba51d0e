#pragma once
/// Runs the matplotlib script on a finished store (plots are made from the
/// store alone, so they can be remade later with the same command).
#include <string>

namespace cwola::report {

/// The command that makes the plots of `store_path` into `out_dir`.
std::string plot_command(const std::string& store_path, const std::string& out_dir);
/// Runs it; returns the script's exit status (0 on success).
int make_plots(const std::string& store_path, const std::string& out_dir);
/// The same for the output of `cwola fit` (plot_fit.py: spectrum + pulls, local p, limits).
std::string fit_plot_command(const std::string& fit_path, const std::string& out_dir);
int make_fit_plots(const std::string& fit_path, const std::string& out_dir);
/// The same for the output of `cwola hunt` (plot_hunt.py: spectra, z vs window, ε_s, null).
std::string hunt_plot_command(const std::string& hunt_path, const std::string& out_dir);
int make_hunt_plots(const std::string& hunt_path, const std::string& out_dir);

}  // namespace cwola::report
