// RunSearch: evaluates an objective over a search space with a strategy,
// a pruner and up to `parallel` trials at once.
//
// Deterministic for a seed: trials run in synchronous batches of `parallel`.
// A batch's points are suggested from the trials of earlier batches only,
// pruning decisions see only those trials (plus the trial's own values),
// and trial n draws from its own streams: the sampler from
// Rng(Rng::Derive(Rng::Derive(seed, n), 0)), the objective (TrialContext::rng)
// from Rng(Rng::Derive(Rng::Derive(seed, n), 1)). So the same seed and
// `parallel` give the same trials, whatever the threads do; a different
// `parallel` gives a different (equally valid) sequence.
//
// Threads: a batch runs in a oneTBB task_arena of min(parallel, cores)
// slots; the objective is called from those threads. The hooks' on_trial
// runs on the calling thread, after each batch, in trial order.
#pragma once

#include <functional>
#include <vector>

#include "mlops/common/status.h"
#include "search/objective.h"
#include "search/search_options.h"
#include "search/space.h"
#include "search/trial.h"

namespace mlops::ml {

struct SearchHooks {
  // Polled between batches and by TrialContext (any thread). May be empty.
  std::function<bool()> cancelled;
  // After each trial, with the number of trials done and planned. May be empty.
  std::function<void(const Trial& trial, int done, int planned)> on_trial;
};

struct SearchResult {
  std::vector<Trial> trials;  // in trial order
  int best = -1;              // index of the best completed trial; -1: none
  bool cancelled = false;     // stopped by hooks.cancelled; trials cut short are kCancelled
};

// The number of trials RunSearch will run (grid: at most the grid's size).
int PlannedTrials(const SearchSpace& space, const SearchOptions& options);

// Runs the search. Fails (InvalidArgument) only on unusable options: a grid
// too large to run whole without `trials`. A trial that fails does not fail
// the search; a cancelled search returns OK with result->cancelled set.
Status RunSearch(const SearchSpace& space, const SearchOptions& options, const Objective& objective,
                 const SearchHooks& hooks, SearchResult* result);

}  // namespace mlops::ml
