"""Stages of the hidden-valley CNN study (docs/stages.md, docs/hidden_valley.md): a tiny
pretrain (1 task) -> fine-tune (2 significances x 2 repeats) job on generated QCD and
dark-shower files.

- the pretrained CNN is stored under /models/pretrain with the CNN's tensors, finite;
- a fine-tune starts from the stored model: with a vanishing learning rate its kept model is
  the pretrained one, while a task of a stage that reads nothing starts elsewhere;
- 1 and 2 ranks give identical per-task results and models, also when the fine-tunes continue
  the stored Adam state;
- stacked fine-tunes (run.ensemble = 4) keep the models one-by-one training gives;
- [run] checkpoint = epoch: a pretraining killed inside a checkpoint write resumes after its
  last whole checkpoint and ends as the uninterrupted run and as the run without checkpoints;
- a fine-tune stage whose CNN does not have the pretrained shape exits 2 before any work,
  naming the key; so does [job] models = all over a scan of the CNN's shape;
- transfer learning: a supervised pretraining, then head fine-tunes (cnn.fine_tune = head)
  whose stored images.* tensors are the pretrained ones bit for bit, identical on 1 and 2
  ranks; cnn.fine_tune = head where no model is read, or an unknown value, exits 2;
- meta-transfer learning: supervised pretraining -> meta-training (hidden_valley.labels = meta,
  cnn.fine_tune = scale_shift) -> scale-and-shift fine-tunes: the images.* tensors stay the
  pretrained ones in every stage, the meta-trained Φ moved and the fine-tunes store their
  own; identical on 1 and 2 ranks; scale_shift where no model is read, or meta benchmarks that
  include the target, exit 2 naming the key.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (ENV, assert_identical, computed_results, cwola_command,  # noqa: E402
                          datasets, generate, kill_tree, run_cwola)


JOB = """[job]
name = hv_stages
study = hidden_valley
seed = 11

[hidden_valley]
background_file = {qcd}
signal_file = {signal}
luminosity_fb = 1.3
test_events = 25
image_pixels = 8
store_average_images = false

[cnn]
filters = 2, 2, 2, 2
dense = 4

[training]
max_epochs = 3
patience = 2
batch_size = 64

[run]
threads = 1
progress_seconds = 0

[stage.pretrain]
hidden_valley.significance = 6

[stage.finetune]
reads = pretrain
repeats = 2
scan.hidden_valley.significance = 2, 4
{finetune_extra}
"""
N_TASKS = 1 + 2 * 2
CNN_TENSORS = ("images.0.weight", "images.0.bias", "images.6.weight", "head.hidden0.weight",
               "head.output.bias")


class HiddenValleyStages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_hv_stages_")
        cls.qcd = os.path.join(cls.dir, "qcd.h5")
        cls.signal = os.path.join(cls.dir, "signal.h5")
        cls.other_signal = os.path.join(cls.dir, "signal_ld20.h5")
        for card, path, events in (("qcd_dijet", cls.qcd, 4000),
                                   ("hidden_valley", cls.signal, 300)):
            generate(1, card, path, events, "selection.max_constituents=60")
        # Transfer learning pretrains on another benchmark (the target's own is refused).
        generate(1, "hidden_valley", cls.other_signal, 300, "selection.max_constituents=60",
                 "signal.lambda_d=20")
        cls.job = cls.write_job("staged.ini")
        cls.one_rank = cls.run_job(1, cls.job, "one.h5")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write_job(cls, name, finetune_extra="", text=None):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(text if text is not None else
                    JOB.format(qcd=cls.qcd, signal=cls.signal, finetune_extra=finetune_extra))
        return path

    @classmethod
    def run_job(cls, ranks, job, store, *extra, check=0):
        path = os.path.join(cls.dir, store)
        done = run_cwola(ranks, "run", "--job", job, "--output", path, "--no-plots", *extra,
                         check=check)
        with open(os.path.splitext(path)[0] + ".log", "w") as log:
            log.write(done.stdout + done.stderr)
        return path if check == 0 else done

    def assert_same_models(self, a, b, what):
        a, b = datasets(a, "models"), datasets(b, "models")
        self.assertEqual(sorted(a), sorted(b), what)
        for key in a:
            self.assertTrue(np.array_equal(a[key], b[key]), f"{what}: model {key} differs")

    def test_the_pretrained_cnn_is_stored(self):
        with h5py.File(self.one_rank, "r") as f:
            self.assertTrue(np.all(f["results/status"][()] == 1))
            group = f["models/pretrain"]
            description = group.attrs["description"][0]
            description = description.decode() if isinstance(description, bytes) else description
            self.assertTrue(description.startswith("cnn two_channel 8x8, filters 2-2-2-2"),
                            description)
            self.assertEqual(group["images.0.weight"].shape, (1, 2, 2, 5, 5))
            for name in CNN_TENSORS:
                self.assertTrue(np.all(np.isfinite(group[name][()])), name)
            self.assertGreater(np.abs(group["images.0.weight"][()]).max(), 0)
            self.assertEqual(group["epochs"][0], f["results/epochs"][0])
            self.assertNotIn("finetune", f["models"])  # nobody reads it ([job] models = read)

    def test_a_fine_tune_starts_from_the_stored_model(self):
        # A vanishing learning rate keeps each network where it started; a third stage that
        # reads nothing shows where a fresh initialisation starts (the check can fail).
        scratch = ("\n[stage.scratch]\nrepeats = 2\n"
                   "hidden_valley.significance = 4\ntraining.learning_rate = 1e-12\n")
        job = self.write_job("frozen.ini", "training.learning_rate = 1e-12" + scratch)
        store = self.run_job(1, job, "frozen.h5", "--set", "job.models=all")
        with h5py.File(store, "r") as f:
            self.assertTrue(np.all(f["results/status"][()] == 1))
            for name in f["models/pretrain"].attrs["tensors"]:
                name = name.decode() if isinstance(name, bytes) else name
                pre = f[f"models/pretrain/{name}"][0]
                fine = f[f"models/finetune/{name}"][()]
                for local in range(fine.shape[0]):
                    np.testing.assert_allclose(fine[local], pre, rtol=0, atol=1e-7,
                                               err_msg=f"fine-tune {local} {name}")
            fresh = f["models/scratch/images.0.weight"][()]
            pre = f["models/pretrain/images.0.weight"][0]
            for local in range(fresh.shape[0]):
                self.assertGreater(np.abs(fresh[local] - pre).max(), 1e-2)

    def test_one_and_two_ranks_give_the_same_tasks_and_models(self):
        two = self.run_job(2, self.job, "two.h5")
        assert_identical(self, computed_results(self.one_rank), computed_results(two),
                         "1 vs 2 ranks")
        self.assert_same_models(self.one_rank, two, "1 vs 2 ranks")
        # Continuing the stored Adam state: identical too, and it trains otherwise.
        job = self.write_job("continued.ini", "optimizer = continue")
        stores = [self.run_job(ranks, job, f"continued_{ranks}.h5") for ranks in (1, 2)]
        assert_identical(self, computed_results(stores[0]), computed_results(stores[1]),
                         "continued: 1 vs 2 ranks")
        self.assert_same_models(stores[0], stores[1], "continued: 1 vs 2 ranks")
        with h5py.File(stores[0], "r") as f:
            self.assertGreater(f["models/pretrain/optimizer.step"][0, 0], 0)
            continued = f["curves/val_loss"][()][1:]
        with h5py.File(self.one_rank, "r") as f:
            fresh = f["curves/val_loss"][()][1:]
        self.assertGreater(np.nanmax(np.abs(continued - fresh)), 1e-7)

    def test_stacked_tasks_keep_the_models_of_one_by_one(self):
        """run.ensemble = 4: fine-tunes that read and keep models train as stacked CNNs
        (grouped convolutions); results and models equal one-by-one training within the
        stacking rounding (docs/training.md; bit-identical on the CPUs measured so far)."""
        stores = {}
        for k in (1, 4):
            stores[k] = self.run_job(1, self.job, f"ensemble_{k}.h5", "--set", "job.models=all",
                                     "--set", f"run.ensemble={k}", "--verbose")
        with open(os.path.join(self.dir, "ensemble_4.log")) as log:
            self.assertIn("stacked training of 2 task(s)", log.read())  # a stack per S/sqrt(B)
        alone, stacked = computed_results(stores[1]), computed_results(stores[4])
        self.assertTrue(np.all(stacked["results/status"] == 1))
        self.assertLess(np.max(np.abs(alone["results/auc"] - stacked["results/auc"])), 2e-3)
        self.assertTrue(np.array_equal(alone["results/epochs"], stacked["results/epochs"]))
        a, b = datasets(stores[1], "models"), datasets(stores[4], "models")
        self.assertEqual(sorted(a), sorted(b))
        self.assertIn("finetune/images.0.weight", a)
        for key in a:
            np.testing.assert_allclose(b[key], a[key], rtol=0, atol=1e-4, err_msg=key)

    def test_a_killed_cnn_training_resumes_from_its_last_whole_checkpoint(self):
        # [run] checkpoint = epoch: the pretraining is killed while it writes its checkpoint
        # after epoch 2 (a fault hook pauses between the slot and the flag); --resume continues
        # it after epoch 1 and ends as the uninterrupted run, and as the run without checkpoints.
        settings = ["--set", "training.max_epochs=5", "--set", "training.patience=5"]
        plain = self.run_job(1, self.job, "unchecked.h5", *settings, "--set",
                             "job.models=all")
        whole = self.run_job(1, self.job, "checked.h5", *settings, "--set", "job.models=all",
                             "--set", "run.checkpoint=epoch")
        store = os.path.join(self.dir, "killed.h5")
        args = cwola_command(1, "run", "--job", self.job, "--output", store, "--no-plots",
                             *settings, "--set", "job.models=all", "--set", "run.checkpoint=epoch")
        process = subprocess.Popen(args, env=dict(ENV, CWOLA_FAULT_PAUSE_IN_CHECKPOINT="0:2"),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
        for line in process.stdout:
            if "checkpoint slot of task 0 after epoch 2 written" in line:
                break
        kill_tree(process.pid)
        process.wait()
        process.stdout.close()
        with h5py.File(store, "r") as f:
            self.assertEqual(f["results/status"][0], 0)
            self.assertEqual(f["checkpoints/pretrain/epochs_done"][0], 1)
        resumed = run_cwola(1, "run", "--job", self.job, "--output", store, "--no-plots",
                            *settings, "--set", "job.models=all", "--set",
                            "run.checkpoint=epoch", "--resume", check=0)
        self.assertIn("task 0 resumes after epoch 1", resumed.stderr)
        for other, what in ((whole, "uninterrupted"), (plain, "without checkpoints")):
            assert_identical(self, computed_results(other), computed_results(store),
                             f"resumed vs {what}")
            self.assert_same_models(other, store, f"resumed vs {what}")

    def test_a_cnn_of_another_shape_exits_2_before_any_work(self):
        job = self.write_job("shape.ini", "cnn.filters = 3, 2, 2, 2")
        done = self.run_job(1, job, "shape.h5", check=None)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("stage.finetune.reads", done.stderr)
        self.assertIn("does not fit", done.stderr)
        self.assertIn(job, done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "shape.h5")))
        # [job] models = all keeps one shape per stage: a scan of the CNN's shape is refused.
        other = "\n[stage.other]\nscan.cnn.architecture = two_channel, two_image\n"
        job = self.write_job("all_shapes.ini", other)
        done = self.run_job(1, job, "all_shapes.h5", "--set", "job.models=all", check=None)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("job.models", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "all_shapes.h5")))

    def transfer_job(self, name, finetune="cnn.fine_tune = head", cnn=""):
        text = JOB.format(qcd=self.qcd, signal=self.signal, finetune_extra=finetune)
        text = text.replace("[stage.pretrain]\nhidden_valley.significance = 6\n",
                            "[stage.pretrain]\nhidden_valley.labels = supervised\n"
                            "hidden_valley.supervised_events = 60\n"
                            f"hidden_valley.signal_file = {self.other_signal}\n")
        text = text.replace("dense = 4\n", "dense = 4\n" + cnn)
        return self.write_job(name, text=text)

    def test_a_head_fine_tune_keeps_the_pretrained_convolutions(self):
        job = self.transfer_job("transfer.ini")
        stores = [self.run_job(ranks, job, f"transfer_{ranks}.h5", "--set", "job.models=all")
                  for ranks in (1, 2)]
        assert_identical(self, computed_results(stores[0]), computed_results(stores[1]),
                         "transfer: 1 vs 2 ranks")
        self.assert_same_models(stores[0], stores[1], "transfer: 1 vs 2 ranks")
        with h5py.File(stores[0], "r") as f:
            self.assertTrue(np.all(f["results/status"][()] == 1))
            self.assertEqual(f["results/n_train"][0] + f["results/n_validation"][0], 120)
            names = [n.decode() if isinstance(n, bytes) else n
                     for n in f["models/pretrain"].attrs["tensors"]]
            images = [n for n in names if n.startswith("images.")]
            self.assertEqual(len(images), 8)  # 4 convolutions: weight and bias
            for name in names:
                pre = f[f"models/pretrain/{name}"][0]
                fine = f[f"models/finetune/{name}"][()]
                self.assertEqual(fine.shape[0], 4)
                for local in range(fine.shape[0]):
                    if name in images:
                        self.assertTrue(np.array_equal(fine[local], pre),
                                        f"fine-tune {local} {name} changed")
                    elif name == "head.hidden0.weight":
                        # re-initialised and trained, not the pretrained head
                        self.assertGreater(np.abs(fine[local] - pre).max(), 1e-2)

    def test_bad_fine_tune_settings_exit_2(self):
        # Job-wide cnn.fine_tune = head: the pretraining reads no model.
        job = self.transfer_job("head_everywhere.ini", finetune="", cnn="fine_tune = head\n")
        # The target benchmark in the supervised pretraining set.
        own = self.transfer_job("own_target.ini").replace(".ini", "")
        with open(own + ".ini") as f:
            text = f.read().replace(self.other_signal, self.signal)
        target_job = self.write_job("target_in_pretraining.ini", text=text)
        for path, what in ((job, "cnn.fine_tune"),
                           (self.transfer_job("bad_mode.ini", "cnn.fine_tune = tail"),
                            "cnn.fine_tune"),
                           (target_job, "stage.pretrain.hidden_valley.signal_file")):
            done = self.run_job(1, path, "bad.h5", check=None)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(what, done.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "bad.h5")))


    def meta_job(self, name, meta_files=None):
        text = self.transfer_job(name, finetune="cnn.fine_tune = scale_shift")
        with open(text) as f:
            text = f.read()
        files = meta_files or self.other_signal
        # Wider than 2 filters: the 2-filter CNN can end in dead ReLUs, which give Φ no gradient.
        text = text.replace("filters = 2, 2, 2, 2\n", "filters = 6, 6, 6, 6\npool = 1, 0, 0, 0\n")
        text = text.replace(
            "[stage.finetune]\nreads = pretrain\n",
            "[stage.metatrain]\nreads = pretrain\ncnn.fine_tune = scale_shift\n"
            "hidden_valley.labels = meta\n"
            f"hidden_valley.signal_files = {files}\n"
            "hidden_valley.supervised_events = 20\nmeta.meta_batches = 2\n"
            "meta.tasks_per_batch = 2\nmeta.inner_steps = 2\nmeta.inner_batch_size = 32\n"
            "meta.task_events = 40\nmeta.test_events = 15\nmeta.hard_tasks = 1\n\n"
            "[stage.finetune]\nreads = metatrain\n")
        return self.write_job(name, text=text)

    def test_meta_transfer_keeps_the_pretrained_convolutions_on_1_and_2_ranks(self):
        job = self.meta_job("meta.ini")
        stores = [self.run_job(ranks, job, f"meta_{ranks}.h5", "--set", "job.models=all")
                  for ranks in (1, 2)]
        assert_identical(self, computed_results(stores[0]), computed_results(stores[1]),
                         "meta-transfer: 1 vs 2 ranks")
        self.assert_same_models(stores[0], stores[1], "meta-transfer: 1 vs 2 ranks")
        with h5py.File(stores[0], "r") as f:
            self.assertTrue(np.all(f["results/status"][()] == 1))
            names = [n.decode() if isinstance(n, bytes) else n
                     for n in f["models/metatrain"].attrs["tensors"]]
            self.assertEqual(len([n for n in names if n.startswith("scale_shift.")]), 8)
            for name in names:
                if name.startswith("images."):
                    pre = f[f"models/pretrain/{name}"][0]
                    self.assertTrue(np.array_equal(f[f"models/metatrain/{name}"][0], pre), name)
                    for fine in f[f"models/finetune/{name}"][()]:
                        self.assertTrue(np.array_equal(fine, pre), name)
            scale = f["models/metatrain/scale_shift.scale0"][0]
            self.assertGreater(np.abs(scale - 1.0).max(), 1e-5)  # meta-training moved Φ
            self.assertEqual(f["models/finetune/scale_shift.scale0"].shape[0], 4)

    def test_bad_meta_transfer_settings_exit_2(self):
        everywhere = self.transfer_job("scale_shift_everywhere.ini", finetune="",
                                       cnn="fine_tune = scale_shift\n")
        target = self.meta_job("meta_target.ini", f"{self.other_signal}, {self.signal}")
        for path, what in ((everywhere, "cnn.fine_tune"),
                           (target, "hidden_valley.signal_files")):
            done = self.run_job(1, path, "bad_meta.h5", check=None)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(what, done.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "bad_meta.h5")))

if __name__ == "__main__":
    unittest.main(verbosity=2)
