// `pxrd-diff train`: trains the flow model on MP-20 (train_partial + train_canonical_subset + val, never test).
// SIGINT/SIGTERM finish the current step, write the checkpoint and exit 0; --resume continues from it.
#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli.hpp"
#include "pxrd/error.hpp"
#include "pxrd/models/diffusion.hpp"

namespace {
void print_train_help() {
  std::cout << "usage: pxrd-diff train --data DIR --out DIR [--resume] [--hours H] [--steps N]\n"
               "  --data DIR             MP-20 folder (train_partial, train_canonical_subset, val .csv.xz)\n"
               "  --out DIR              run folder: checkpoint.pt, weights.pt, log.jsonl, config.txt\n"
               "  --resume               continue from DIR/checkpoint.pt\n"
               "  --init-from WEIGHTS    fine-tune: start from a weights file (e.g. models/weights/mp20_flow.pt);\n"
               "                         the step count continues from its step (so do --steps and --decay-from)\n"
               "  --hours H              stop cleanly after H hours (0: no limit)\n"
               "  --steps N              stop at step N (0: no limit)\n"
               "  --batch B (64) --lr X (5e-4) --seed S (1) --threads T (1) --hidden H (128) --layers L (4)\n"
               "                         (--resume keeps the checkpoint's --lr and --seed unless given)\n"
               "  --peak-heads N         atom-to-peak attention in every layer with N heads (0: off); with\n"
               "                         --init-from it is added to the given weights as a no-op and trained\n"
               "  --checkpoint-minutes M (5) --log-every N (20) --monitor-every N (500)\n"
               "  --decay-from S --decay-steps N   from step S the learning rate falls linearly to 5 % over N steps\n"
               "  --cache FILE           dataset cache (default DIR/../mp20_cache.bin)\n"
               "  --monitor-stride K     every K-th val crystal is held out for monitoring (36)\n"
               "  --quiet                no log lines on stderr\n"
               "Ctrl-C stops after the current step and saves the checkpoint.\n";
}

int run_train(const std::vector<std::string>& argv) {
  pxrd::cli::Args args(argv, {"--resume", "--quiet", "--help"});
  if (args.has("--help")) {
    print_train_help();
    return 0;
  }
  args.check_known({"--data", "--out", "--resume", "--init-from", "--hours", "--steps", "--batch", "--lr", "--seed", "--threads",
                    "--hidden", "--layers", "--peak-heads", "--checkpoint-minutes", "--log-every", "--monitor-every", "--cache",
                    "--monitor-stride", "--decay-from", "--decay-steps", "--quiet", "--help"});
  pxrd::models::TrainOptions o;
  const std::string data = args.get("--data");
  o.out_dir = args.get("--out");
  o.resume = args.has("--resume");
  o.init_weights = args.get("--init-from", "");
  o.hours = args.get_double("--hours", 0);
  o.max_steps = args.get_int("--steps", 0);
  o.batch_size = static_cast<int>(args.get_int("--batch", 64));
  if (args.has("--lr")) o.learning_rate = args.get_double("--lr", 5e-4);  // unset: 5e-4, or the checkpoint's on resume
  if (args.has("--seed")) o.seed = static_cast<unsigned long long>(args.get_int("--seed", 1));
  o.threads = static_cast<int>(args.get_int("--threads", 1));
  o.model.hidden = static_cast<int>(args.get_int("--hidden", 128));
  o.model.layers = static_cast<int>(args.get_int("--layers", 4));
  o.model.peak_heads = static_cast<int>(args.get_int("--peak-heads", 0));
  if (o.model.peak_heads < 0 || o.model.peak_heads > 64) throw pxrd::InputError("--peak-heads", 0, "must be between 0 and 64");
  o.checkpoint_minutes = args.get_double("--checkpoint-minutes", 5);
  o.log_every = static_cast<int>(args.get_int("--log-every", 20));
  o.monitor_every = static_cast<int>(args.get_int("--monitor-every", 500));
  o.verbose = !args.has("--quiet");
  o.decay_start_step = args.get_int("--decay-from", 0);
  o.decay_steps = args.get_int("--decay-steps", 0);
  const std::string cache = args.get("--cache", o.out_dir + "/../mp20_cache.bin");
  const int monitor_stride = static_cast<int>(args.get_int("--monitor-stride", pxrd::models::kDefaultMonitorStride));
  if (o.batch_size < 1 || o.batch_size > 4096) throw pxrd::InputError("--batch", 0, "must be between 1 and 4096");
  if (o.learning_rate && !(*o.learning_rate > 0)) throw pxrd::InputError("--lr", 0, "must be a positive number");
  if (o.threads < 1) throw pxrd::InputError("--threads", 0, "must be at least 1");
  if (o.hours < 0 || o.max_steps < 0) throw pxrd::InputError("--hours/--steps", 0, "must not be negative");

  pxrd::CancelToken cancel;
  pxrd::cli::cancel_on_signals(cancel);
  pxrd::FunctionProgress progress([&](double f, const std::string& stage) {
    if (o.verbose && stage.rfind("step", 0) != 0 && static_cast<int>(1000 * f) % 100 == 0) std::cerr << "[" << static_cast<int>(100 * f) << "%] " << stage << "\n";
  });
  std::filesystem::create_directories(o.out_dir);
  auto all = pxrd::models::load_training_set(data, cache, monitor_stride, 2, cancel, progress);
  std::vector<pxrd::models::DatasetEntry> train, monitor;
  for (auto& e : all) {
    if (e.split == pxrd::models::Split::Monitor)
      monitor.push_back(std::move(e));
    else if (e.split != pxrd::models::Split::Test)
      train.push_back(std::move(e));
  }
  std::cerr << "training crystals: " << train.size() << ", monitor crystals: " << monitor.size() << "\n";
  const auto s = pxrd::models::train_model(train, monitor, o, cancel, progress);
  std::cout << "steps " << s.start_step << " -> " << s.end_step << " in " << s.seconds << " s ("
            << s.crystals_per_second << " crystals/s); loss " << s.first_loss << " -> " << s.last_loss
            << (s.cancelled ? "; stopped by signal, checkpoint saved" : "") << "\n";
  pxrd::cli::release_cancel_on_signals();
  return 0;
}
}  // namespace

PXRD_COMMAND("train", "train the pattern-conditioned crystal flow model on MP-20", run_train);
