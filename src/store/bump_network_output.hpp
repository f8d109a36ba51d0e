#pragma once
/// The output file of `cwola bumpnet` (docs/bump_hunt_network.md): per trained network its
/// model, training history, per-histogram evaluation and the grouped summary. Written by one
/// rank through "<path>.partial", renamed when complete.
///   /card                                   string   the effective card
///   /test/first, /test/n_bins               int64    held-out histograms (file index, bins)
///   /<network>/model/names, shapes          string [T]  tensor names and "d0xd1x..." shapes
///   /<network>/model/<name>                 float32 [numel] the trained values
///   /<network>/history/{train_loss, z_mse, b_mse}  float64 [epochs]
///   /<network>/evaluation/{bin, z_pl, z_pred, z_pred_max}  [test histograms]
///   /<network>/evaluation/prediction        float64 [Σ test bins] predicted z per bin
///   /<network>/summary/{axis, group}        string [G]; histograms int64 [G];
///   /<network>/summary/{bias, spread, q025, q16, q84, q975, z_pred_q025, z_pred_q16,
///                      z_pred_q84, z_pred_q975}  float64 [G] (row 0: all; last row: the null)
///   /<network>/timing/{train_seconds, reduce_seconds, inference_seconds} float64 [1],
///   /<network>/timing/{steps, ranks, histograms} int64 [1]
/// An ensemble of K > 1 members (bumpnet.ensemble): each member is a network of its own under
/// /<network>/member<k>/ (model, history, evaluation, summary, timing as above), and
/// /<network>/ holds the ensemble's evaluation, summary and timing (sums over the members),
/// no model and no history, and /<network>/members int64 [1] = K.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/model_tensors.hpp"

namespace cwola::store {

/// One network's results as plain columns.
struct BumpNetworkRecord {
  std::string name;          ///< the group: "znet3", or "znet3/member1" for a member
  std::int64_t members = 0;  ///< > 0: an ensemble of that many members (no model, no history)
  core::ModelLayout layout;
  core::ModelTensors model;
  std::vector<double> train_loss, z_mse, b_mse;
  std::vector<std::int64_t> bin;
  std::vector<double> z_pl, z_pred, z_pred_max, prediction;
  std::vector<std::string> axis, group;
  std::vector<std::int64_t> histograms;
  /// bias, spread, q025, q16, q84, q975, z_pred_q025, z_pred_q16, z_pred_q84, z_pred_q975
  std::vector<std::vector<double>> summary_columns = std::vector<std::vector<double>>(10);
  double train_seconds = 0, reduce_seconds = 0, inference_seconds = 0;
  std::int64_t steps = 0, ranks = 1, histograms_trained = 0;
};

/// Names of BumpNetworkRecord::summary_columns, in order.
const std::vector<std::string>& bump_summary_columns();

/// Serial write (call on one rank) of `networks` into `path` via "<path>.partial".
void write_bump_network_output(const std::string& path, const std::string& card,
                               std::int64_t test_first,
                               const std::vector<std::int64_t>& test_n_bins,
                               const std::vector<BumpNetworkRecord>& networks);

/// The model of `network` in an output file written by write_bump_network_output: its tensor
/// names and shapes (layout) and values. core::InputError naming the file when it is missing,
/// not such a file, or holds no model of that network.
std::pair<core::ModelLayout, core::ModelTensors> read_bump_network_model(
    const std::string& path, const std::string& network);

}  // namespace cwola::store
