"""What each step of a trace means, in a sentence or two with this digit's own numbers.

The equation says what is computed; these say why, and what to notice in the
numbers beside it (how many units fire, how sure the network is, which classes the
error pushes down). A teacher reads them aloud while walking the steps.
"""

from __future__ import annotations

import numpy as np

from core.training.trace import ACTIVATION_SYMBOLS, Step, Trace


def _name(names: tuple[str, ...], k: int) -> str:
    return names[k] if 0 <= k < len(names) else str(k)


def explain(step: Step, t: Trace, names: tuple[str, ...]) -> str:
    """Plain sentences on ``step`` of trace ``t`` (``names``: the class names)."""
    L, s = t.n_layers, step.symbol
    f = ACTIVATION_SYMBOLS.get(t.activation, "f")
    label, pred = _name(names, t.label), _name(names, t.prediction)
    k = step.layer
    if s == f"Z{L}":
        return (
            "The output layer's weighted sums are the logits: one score per class. The "
            f"highest, for {pred}, is already the network's answer; the softmax only turns "
            "the scores into probabilities."
        )
    if s.startswith("Z") and k == 1:
        return (
            "Each hidden unit compares the digit with its template (its column of W1): it "
            "multiplies every pixel by the matching weight, adds them up and adds its bias. "
            "Z1 holds one number per unit: large when the digit looks like the template."
        )
    if s.startswith("Z"):
        return (
            f"Each unit of layer {k} adds up the outputs of layer {k - 1}, weighted by its "
            f"column of W{k}, plus its bias: one number per unit."
        )
    if s.startswith("A"):
        a = t.A[k - 1]
        fire = int(np.count_nonzero(a > 0))
        if t.activation == "relu":
            return (
                f"{f} keeps a positive sum and silences a negative one: {fire} of {a.size} "
                f"units of layer {k} fire for this digit. Only they pass anything on."
            )
        if t.activation == "leaky_relu":
            return (
                f"{f} keeps a positive sum and shrinks a negative one to a small fraction: "
                f"{fire} of {a.size} units of layer {k} fire for this digit."
            )
        return (
            f"{f} squashes each sum into a bounded range; how strongly each of the {a.size} "
            f"units of layer {k} responds is its activation."
        )
    if s == "S":
        return (
            f"The softmax starts by subtracting the largest logit ({t.max_logit:.4g}) from every "
            "logit. The probabilities do not change, but exp can no longer overflow."
        )
    if s == "E":
        return "exp makes every score positive; the largest logit becomes exp(0) = 1."
    if s == "Σ":
        return f"Their sum, Σ = {t.exp_sum:.4g}, is what the probabilities are shares of."
    if s == "P":
        sure = float(t.probs[t.prediction])
        verdict = "right" if t.correct else f"wrong: it is {label}"
        return (
            f"Dividing each by Σ gives probabilities that add up to 1. The network is "
            f"{sure:.1%} sure this is {pred} ({verdict})."
        )
    if s == "loss":
        return (
            f"The loss is minus the log of the probability given to the right class, {label}: "
            f"P[{t.label}] = {float(t.probs[t.label]):.4g}, so the loss is {t.loss:.4g}. A sure "
            "right answer costs 0; a sure wrong one costs a lot."
        )
    if s == f"dZ{L}":
        return (
            "Backward. The error at the output is P − Y: positive for every class that got "
            f"probability it should not have, and P[{t.label}] − 1 (negative) for the right one. "
            "Training pushes each logit against its error."
        )
    if s == "dW1" and L > 1:
        return (
            "For one digit, column j of dW1 is the digit itself times the error reaching unit j: "
            "its update image. A step subtracts the learning rate times it from the template: "
            "the template moves towards the digit when the unit's error is negative, away from "
            "it when positive, and not at all for units that did not fire."
        )
    if s.startswith("dW"):
        below = "X" if k == 1 else f"A{k - 1}"
        return (
            "Each weight's gradient is the input it multiplies times the error at the unit it "
            f"feeds: for one digit, the outer product of {below} and dZ{k}."
        )
    if s.startswith("db"):
        return f"A bias adds to one unit only, so its gradient is that unit's error: db{k} = dZ{k}."
    if s.startswith("dA"):
        return (
            f"The error flows back through the weights: each unit of layer {k} receives the errors "
            f"of the units it feeds, weighted by the same connections used forward (W{k + 1}ᵀ)."
        )
    if s.startswith("dZ"):
        if t.activation == "relu":
            silent = int(np.count_nonzero(t.fprime[k - 1] == 0))
            return (
                f"A unit passes the error back only if it fired: ReLU'(Z) is 1 where it did and 0 "
                f"where it was silent. {silent} of {t.fprime[k - 1].size} units of layer {k} get "
                "no error from this digit and will not learn from it."
            )
        return (
            f"The error is scaled by the slope of {f} at each unit's sum: where the activation "
            "is flat (saturated) little error gets through."
        )
    if s == "dX":
        return (
            "The error reaches the pixels too: dX says which pixels, made brighter, would raise "
            "the loss (red) or lower it (blue). Training does not use it; saliency maps and the "
            "smallest change that fools the network do."
        )
    return ""
