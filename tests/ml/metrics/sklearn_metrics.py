#!/usr/bin/python3
"""scikit-learn's values of the evaluator's metrics, the reference that
tests/ml/metrics/sklearn_reference_test.cc compares mlops_ml_metrics with.

Usage: sklearn_metrics.py CASES.json  (prints the results as JSON)

CASES.json: {"cases": [{"name", "task": "classification", "k", "y", "proba"}
                       | {"name", "task": "regression", "y", "pred"}]}
Output: {"sklearn": VERSION, "cases": {NAME: {METRIC: RESULT}}} where RESULT
is {"value": X} or {"error": MESSAGE} (sklearn raised, or gave NaN), plus
"warned": [MESSAGES] when sklearn warned (UserWarning and subclasses).
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M
from sklearn.preprocessing import label_binarize


def run(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = float(fn())
        except Exception as e:  # noqa: BLE001 -- any refusal counts as "sklearn raised"
            return {"error": str(e)}
    out = {"value": value} if np.isfinite(value) else {"error": "not finite: %r" % value}
    warned = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if warned:
        out["warned"] = warned
    return out


def classification(case):
    k = case["k"]
    y = np.asarray(case["y"], dtype=np.int64)
    proba = np.asarray(case["proba"], dtype=np.float64).reshape(len(y), k)
    pred = proba.argmax(axis=1)
    labels = list(range(k))
    # Two classes: class 1 is the positive one; more: the macro averages.
    headline = {} if k == 2 else {"average": "macro"}
    out = {
        "accuracy": run(lambda: M.accuracy_score(y, pred)),
        "precision": run(lambda: M.precision_score(y, pred, **headline)),
        "recall": run(lambda: M.recall_score(y, pred, **headline)),
        "f1": run(lambda: M.f1_score(y, pred, **headline)),
        "precision_macro": run(lambda: M.precision_score(y, pred, average="macro")),
        "recall_macro": run(lambda: M.recall_score(y, pred, average="macro")),
        "f1_macro": run(lambda: M.f1_score(y, pred, average="macro")),
        "log_loss": run(lambda: M.log_loss(y, proba, labels=labels)),
    }
    if k == 2:
        out["roc_auc"] = run(lambda: M.roc_auc_score(y, proba[:, 1]))
        out["pr_auc"] = run(lambda: M.average_precision_score(y, proba[:, 1]))
    else:
        out["roc_auc"] = run(lambda: M.roc_auc_score(
            y, proba, multi_class="ovr", average="macro", labels=labels))
        out["pr_auc"] = run(lambda: M.average_precision_score(
            label_binarize(y, classes=labels), proba, average="macro"))
    return out


def regression(case):
    y = np.asarray(case["y"], dtype=np.float64)
    pred = np.asarray(case["pred"], dtype=np.float64)
    return {
        "rmse": run(lambda: M.mean_squared_error(y, pred, squared=False)),
        "mae": run(lambda: M.mean_absolute_error(y, pred)),
        "r2": run(lambda: M.r2_score(y, pred)),
        "mape": run(lambda: M.mean_absolute_percentage_error(y, pred)),
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    results = {}
    for case in cases:
        fn = classification if case["task"] == "classification" else regression
        results[case["name"]] = fn(case)
    json.dump({"sklearn": sklearn.__version__, "cases": results}, sys.stdout)


if __name__ == "__main__":
    main()
