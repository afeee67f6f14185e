#include "search/search.h"

#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>

#include "search/grid_sampler.h"
#include "search/pruner.h"
#include "search/sampler.h"
#include "search/tpe_sampler.h"

namespace mlops::ml {
namespace {

constexpr int kDefaultTrials = 20;
constexpr int64_t kLargestWholeGrid = 100000;

std::unique_ptr<Sampler> MakeSampler(const SearchSpace& space, const SearchOptions& o) {
  switch (o.strategy) {
    case Strategy::kGrid: return std::make_unique<GridSampler>(space, o.grid_points);
    case Strategy::kRandom: return std::make_unique<RandomSampler>(space);
    case Strategy::kTpe: return std::make_unique<TpeSampler>(space, o.tpe, o.direction);
  }
  return nullptr;
}

// Runs one trial to its end; never throws.
void Evaluate(const Objective& objective, TrialContext& context, Trial* trial) {
  const auto start = std::chrono::steady_clock::now();
  TrialOutcome outcome;
  try {
    outcome = objective(trial->params, context);
  } catch (const std::exception& e) {
    outcome = TrialOutcome::Failed(std::string("exception: ") + e.what());
  } catch (...) {
    outcome = TrialOutcome::Failed("unknown exception");
  }
  trial->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  trial->intermediate = context.intermediate();
  if (!outcome.error.empty()) {
    trial->status = TrialStatus::kFailed;
    trial->error = outcome.error;
    return;
  }
  trial->value = std::isnan(outcome.value) ? context.BestReported() : outcome.value;
  if (context.pruned()) {
    trial->status = TrialStatus::kPruned;
  } else if (context.Cancelled()) {
    trial->status = TrialStatus::kCancelled;
  } else {
    trial->status = std::isfinite(trial->value) ? TrialStatus::kCompleted : TrialStatus::kFailed;
    if (trial->status == TrialStatus::kFailed) trial->error = "the objective returned no finite value";
  }
}

}  // namespace

int PlannedTrials(const SearchSpace& space, const SearchOptions& o) {
  if (o.strategy != Strategy::kGrid) return o.trials > 0 ? o.trials : kDefaultTrials;
  const int64_t size = GridSampler(space, o.grid_points).size();
  if (o.trials > 0) return static_cast<int>(std::min<int64_t>(o.trials, size));
  return static_cast<int>(std::min<int64_t>(size, kLargestWholeGrid + 1));
}

Status RunSearch(const SearchSpace& space, const SearchOptions& options, const Objective& objective,
                 const SearchHooks& hooks, SearchResult* result) {
  const int planned = PlannedTrials(space, options);
  if (planned > kLargestWholeGrid) {
    return Status::InvalidArgument("the grid has more than " + std::to_string(kLargestWholeGrid) +
                                   " points: set 'trials' or fewer grid_points");
  }
  const std::unique_ptr<Sampler> sampler = MakeSampler(space, options);
  const std::unique_ptr<Pruner> pruner = MakePruner(options.pruner, options.direction);
  const int parallel = std::max(1, options.parallel);
  const auto cancelled = [&] { return hooks.cancelled && hooks.cancelled(); };

  SearchResult out;
  // Results depend on the batch size only, so more slots than cores would buy nothing.
  tbb::task_arena arena(std::min(parallel, std::max(1, tbb::info::default_concurrency())));
  for (int first = 0; first < planned && !out.cancelled; first += parallel) {
    if (cancelled()) {
      out.cancelled = true;
      break;
    }
    const int count = std::min(parallel, planned - first);
    std::vector<Trial> batch(static_cast<size_t>(count));
    std::vector<std::unique_ptr<TrialContext>> contexts;
    for (int k = 0; k < count; ++k) {
      const int number = first + k;
      const uint64_t stream = Rng::Derive(options.seed, static_cast<uint64_t>(number));
      Rng suggest_rng(Rng::Derive(stream, 0));
      Trial& t = batch[static_cast<size_t>(k)];
      t.number = number;
      t.x = sampler->Suggest(number, out.trials, suggest_rng);
      t.params = space.ParamsAt(t.x);
      contexts.push_back(std::make_unique<TrialContext>(number, Rng::Derive(stream, 1), options.direction,
                                                        pruner.get(), &out.trials, hooks.cancelled));
    }
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<int>(0, count, 1),
          [&](const tbb::blocked_range<int>& r) {
            for (int k = r.begin(); k < r.end(); ++k) {
              Evaluate(objective, *contexts[static_cast<size_t>(k)], &batch[static_cast<size_t>(k)]);
            }
          },
          tbb::simple_partitioner());
    });
    for (Trial& t : batch) {
      out.trials.push_back(std::move(t));
      const Trial& done = out.trials.back();
      if (done.status == TrialStatus::kCancelled) out.cancelled = true;
      if (done.status == TrialStatus::kCompleted &&
          (out.best < 0 || IsBetter(options.direction, done.value, out.trials[static_cast<size_t>(out.best)].value))) {
        out.best = static_cast<int>(out.trials.size()) - 1;
      }
      if (hooks.on_trial) hooks.on_trial(done, static_cast<int>(out.trials.size()), planned);
    }
  }
  *result = std::move(out);
  return Status::OK();
}

}  // namespace mlops::ml
