"""One example forward and backward: the trace agrees with training and with calculus.

The trace's gradients must be the model's own on a batch of one (float64, every
activation, depths 0 to 3) and match central differences; ``apply`` must leave the
traced model alone; everything in a trace is read-only; bad input is refused with
our errors.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from core import Trace, trace
from core.errors import ConfigError, DataError
from core.nn.model import MLP
from core.training.config import ACTIVATIONS, Config
from core.training.trainer import Trainer

EPS = 1e-6


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-30))


def _problem(depth: int, activation: str, dtype: str = "float64", seed: int = 0, **kw):
    rng = np.random.default_rng(seed)
    sizes = (7, *(6, 5, 4)[:depth], 4)
    model = MLP(sizes, activation=activation, dtype=dtype, seed=seed, **kw)
    for b in model.biases:  # non-zero biases, so their gradients are exercised too
        b[:] = rng.normal(0, 0.1, b.shape)
    x = rng.normal(0, 1, 7)
    return model, x, int(rng.integers(0, 4))


def _loss(model: MLP, x: np.ndarray, label: int) -> float:
    """The example's cross-entropy by the model's own inference path, not the trace's."""
    return model.evaluate(x[None, :], np.array([label]))[0]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_trace_is_the_models_own_step_on_a_batch_of_one(activation, depth):
    model, x, label = _problem(depth, activation)
    loss, grads = model.loss_and_grads(x[None, :], np.array([label]))
    t = trace(model, x, label)
    assert t.loss == pytest.approx(loss, rel=1e-12)
    assert len(t.grads) == len(grads) == 2 * (depth + 1)
    for name, mine, theirs in zip(model.param_names, t.grads, grads, strict=True):
        assert mine.dtype == np.float64 and mine.shape == theirs.shape, name
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(t.logits, model.forward(x[None, :])[0], rtol=1e-12)
    np.testing.assert_allclose(t.probs, model.predict_proba(x[None, :])[0], rtol=1e-12)
    assert t.dW[0].shape == (7, t.sizes[1]) and t.sizes == tuple(model.sizes)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_weight_and_input_gradients_match_central_differences(activation, depth):
    model, x, label = _problem(depth, activation, seed=depth + 1)
    t = trace(model, x, label)
    for name, p, g in zip(model.param_names, model.params, t.grads, strict=True):
        numeric = np.zeros_like(p)
        flat, nflat = p.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + EPS
            up = _loss(model, x, label)
            flat[i] = old - EPS
            down = _loss(model, x, label)
            flat[i] = old
            nflat[i] = (up - down) / (2 * EPS)
        assert _relative_error(g, numeric) < 1e-6, name
    numeric_x = np.zeros_like(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + EPS
        up = _loss(model, x, label)
        x[i] = old - EPS
        down = _loss(model, x, label)
        x[i] = old
        numeric_x[i] = (up - down) / (2 * EPS)
    assert _relative_error(t.dX, numeric_x) < 1e-6


def test_float32_models_are_traced_in_float32_like_training():
    model, x, label = _problem(2, "relu", dtype="float32")
    _, grads = model.loss_and_grads(x[None, :], np.array([label]))
    t = trace(model, x, label)
    assert t.x.dtype == t.dX.dtype == np.float32
    for mine, theirs in zip(t.grads, grads, strict=True):
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_l2_and_dropout_of_the_model_are_left_out():
    plain, x, label = _problem(2, "tanh")
    noisy = MLP.from_params(plain.params, "tanh")
    noisy.l2, noisy.dropout = 0.1, 0.5
    a, b = trace(plain, x, label), trace(noisy, x, label)
    for ga, gb in zip(a.grads, b.grads, strict=True):
        assert np.array_equal(ga, gb)
    assert a.loss == b.loss


def test_the_equations_hold_between_the_stored_quantities():
    model, x, label = _problem(2, "sigmoid")
    t = trace(model, x, label)
    W, b = t.weights, t.biases
    np.testing.assert_allclose(t.Z[0], x @ W[0] + b[0])
    np.testing.assert_allclose(t.A[0], 1 / (1 + np.exp(-t.Z[0])))
    np.testing.assert_allclose(t.Z[2], t.A[1] @ W[2] + b[2])
    # the softmax step by step
    assert t.max_logit == t.logits.max() and t.shifted.max() == 0
    np.testing.assert_allclose(t.shifted, t.logits - t.logits.max())
    np.testing.assert_allclose(t.exp, np.exp(t.shifted))
    assert t.exp_sum == pytest.approx(t.exp.sum())
    np.testing.assert_allclose(t.probs, t.exp / t.exp_sum)
    assert t.probs.sum() == pytest.approx(1.0) and t.loss == pytest.approx(-np.log(t.probs[label]))
    assert t.target.sum() == 1 and t.target[label] == 1
    assert t.prediction == int(np.argmax(t.probs)) and t.correct == (t.prediction == label)
    # backward: dZ3 = P - Y, dW = A_prevᵀ dZ, db = dZ, dA = dZ Wᵀ, dZ = dA ⊙ f'(Z)
    np.testing.assert_allclose(t.dZ[2], t.probs - t.target)
    np.testing.assert_allclose(t.dW[2], np.outer(t.A[1], t.dZ[2]))
    np.testing.assert_allclose(t.dW[0], np.outer(x, t.dZ[0]))
    for l in range(3):
        assert np.array_equal(t.db[l], t.dZ[l])
    np.testing.assert_allclose(t.dA[1], W[2] @ t.dZ[2])
    np.testing.assert_allclose(t.fprime[1], t.A[1] * (1 - t.A[1]))
    np.testing.assert_allclose(t.dZ[1], t.dA[1] * t.fprime[1])
    np.testing.assert_allclose(t.dX, W[0] @ t.dZ[0])
    assert len(t.dA) == len(t.fprime) == 2 and len(t.Z) == len(t.A) == 3


def test_apply_changes_only_a_copy_and_lowers_the_examples_loss():
    model, x, label = _problem(2, "relu")
    saved = [p.tobytes() for p in model.params]
    t = trace(model, x, label)
    stepped = t.apply(0.05)
    assert [p.tobytes() for p in model.params] == saved
    assert [p.tobytes() for p in t.params] == saved
    for mine, theirs, original in zip(stepped.params, t.params, model.params, strict=True):
        assert not np.shares_memory(mine, theirs) and not np.shares_memory(mine, original)
        assert mine.flags.writeable
    for p, p0, g in zip(stepped.params, model.params, t.grads, strict=True):
        np.testing.assert_array_equal(p, p0 - 0.05 * g)
    assert _loss(stepped, x, label) < t.loss
    assert _loss(model, x, label) == pytest.approx(t.loss)


def test_a_trace_does_not_follow_later_changes_to_the_model():
    model, x, label = _problem(1, "relu")
    t = trace(model, x, label)
    before = [p.copy() for p in t.params]
    for p in model.params:
        p += 1.0
    for p, p0 in zip(t.params, before, strict=True):
        assert np.array_equal(p, p0)


def test_a_snapshot_is_traced_like_the_model_rebuilt_from_it(digits):
    trainer = Trainer(Config(hidden=(16,), epochs=1, activation="tanh"), digits)
    snap = trainer.snapshot(0)
    x, label = digits.X_val[3], int(digits.y_val[3])
    t = trace(snap, x, label)
    rebuilt = trace(MLP.from_params(snap.params, snap.activation), x, label)
    assert t.activation == "tanh" and t.sizes == (64, 16, 10)
    for a, b in zip(
        (*t.grads, *t.Z, *t.A, t.dX),
        (*rebuilt.grads, *rebuilt.Z, *rebuilt.A, rebuilt.dX),
        strict=True,
    ):
        assert np.array_equal(a, b)
    stepped = t.apply(0.1)
    assert all(not p.flags.writeable for p in snap.params)
    assert all(np.array_equal(p, q) for p, q in zip(snap.params, trainer.model.params, strict=True))
    assert _loss(stepped, t.x, label) < t.loss
    # an image-shaped example is the same example
    image = trace(snap, x.reshape(digits.image_shape), label)
    assert np.array_equal(image.dW[0], t.dW[0])


def test_learn_reports_the_step_on_the_example_and_on_a_validation_set(digits):
    trainer = Trainer(Config(hidden=(16,), epochs=1), digits)
    t = trace(trainer.model, digits.X_val[0], int(digits.y_val[0]))
    effect = t.learn(0.5, digits.X_val, digits.y_val)
    assert effect.before is t and effect.learning_rate == 0.5
    assert effect.after.loss < t.loss and effect.after.probs[t.label] > t.probs[t.label]
    stepped = t.apply(0.5)
    for p, q in zip(effect.after.params, stepped.params, strict=True):
        assert np.array_equal(p, q)
    before = trainer.model.evaluate(digits.X_val, digits.y_val)
    after = stepped.evaluate(digits.X_val, digits.y_val)
    assert (effect.val_loss_before, effect.val_acc_before) == pytest.approx(before)
    assert (effect.val_loss_after, effect.val_acc_after) == pytest.approx(after)
    alone = t.learn(0.5)
    assert alone.val_acc_before is None and alone.val_acc_after is None
    assert np.array_equal(alone.after.probs, effect.after.probs)


def test_everything_in_a_trace_is_read_only():
    model, x, label = _problem(2, "leaky_relu")
    t = trace(model, x, label)
    arrays = [getattr(t, f.name) for f in dataclasses.fields(Trace)]
    flat = [a for v in arrays for a in (v if isinstance(v, tuple) else (v,))]
    flat += [v for s in t.steps() for _, v in s.operands] + [s.value for s in t.steps()]
    flat += [t.update_images((7,)), t.update_image(0, (7, 1)), t.template(1, (1, 7))]
    arrays_only = [a for a in flat if isinstance(a, np.ndarray)]
    assert len(arrays_only) > 30
    for a in arrays_only:
        assert not a.flags.writeable
        with pytest.raises(ValueError):
            a[...] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.loss = 0.0  # type: ignore[misc]


def test_update_images_are_views_of_dw1_columns(digits):
    model = MLP((64, 5, 10), dtype="float64", seed=1)
    x, label = digits.X_val[7].astype(np.float64), int(digits.y_val[7])
    t = trace(model, x, label)
    images = t.update_images((8, 8))
    assert images.shape == (5, 8, 8) and np.shares_memory(images, t.dW[0])
    for j in range(5):
        np.testing.assert_array_equal(t.update_image(j, (8, 8)), images[j])
        np.testing.assert_allclose(images[j], (x * t.dZ[0][j]).reshape(8, 8))
        np.testing.assert_array_equal(t.template(j, (8, 8)), model.params[0][:, j].reshape(8, 8))
    # the step moves template j by -learning_rate times its update image
    stepped = t.apply(0.1)
    np.testing.assert_allclose(
        stepped.params[0][:, 2].reshape(8, 8), t.template(2, (8, 8)) - 0.1 * images[2]
    )


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_steps_walk_the_equations_in_the_order_they_are_computed(depth):
    model, x, label = _problem(depth, "relu")
    t = trace(model, x, label)
    steps = t.steps()
    L = depth + 1
    phases = [s.phase for s in steps]
    assert phases == sorted(phases, key=["forward", "backward"].index)
    assert len(steps) == (2 * L - 1 + 5) + (1 + 2 * L + 2 * (L - 1) + 1)
    known = {"X", "Y", *(f"{k}{i}" for i in range(1, L + 1) for k in "Wb"), f"max(Z{L})"}
    known |= {f"ReLU'(Z{k})" for k in range(1, L)}
    for s in steps:
        assert s.equation.startswith(f"{s.symbol} = ")
        for name, _ in s.operands:
            assert name in known, (s.equation, name)
        known.add(s.symbol)
    by_symbol = {s.symbol: s for s in steps}
    assert by_symbol[f"Z{L}"].value is t.logits and by_symbol["P"].value is t.probs
    assert by_symbol["dW1"].value is t.dW[0] and by_symbol["dX"].value is t.dX
    assert by_symbol["loss"].value == t.loss and by_symbol["Σ"].value == t.exp_sum


def test_a_two_layer_walk_reads_like_the_seeds_equations():
    model, x, label = _problem(1, "relu")
    equations = [s.equation for s in trace(model, x, label).steps()]
    assert equations == [
        "Z1 = X W1 + b1",
        "A1 = ReLU(Z1)",
        "Z2 = A1 W2 + b2",
        "S = Z2 − max(Z2)",
        "E = exp(S)",
        "Σ = sum(E)",
        "P = E / Σ",
        f"loss = −log P[{label}] = log Σ − S[{label}]",
        "dZ2 = P − Y",
        "dW2 = A1ᵀ dZ2",
        "db2 = dZ2",
        "dA1 = dZ2 W2ᵀ",
        "dZ1 = dA1 ⊙ ReLU'(Z1)",
        "dW1 = Xᵀ dZ1",
        "db1 = dZ1",
        "dX = dZ1 W1ᵀ",
    ]


@pytest.mark.parametrize(
    ("x", "label", "message"),
    [
        (np.zeros(6), 0, "holds 6 values; this network takes 7"),
        (np.zeros((2, 7)), 0, "holds 14 values"),
        (np.array([0.0, np.nan, 0, 0, 0, 0, 0]), 0, "1 value(s) are NaN or infinite"),
        (np.array([0.0, np.inf, 0, 0, 0, 0, -np.inf]), 0, "2 value(s) are NaN or infinite"),
        (np.array(list("abcdefg")), 0, "expected numbers"),
        (np.zeros(7, complex), 0, "complex"),
        ([[0.0], [1.0, 2.0]], 0, "not an array of numbers"),
        (np.zeros(7), 4, "label: 4 is out of range; allowed 0 to 3"),
        (np.zeros(7), -1, "label: -1 is out of range"),
        (np.zeros(7), 2.5, "not a class index"),
        (np.zeros(7), True, "not a class index"),
        (np.zeros(7), "2", "not a class index"),
    ],
)
def test_bad_examples_are_refused_with_a_data_error(x, label, message):
    model, _, _ = _problem(1, "relu")
    with pytest.raises(DataError, match=re.escape(message)):
        trace(model, x, label)


def test_numpy_labels_and_lists_are_taken():
    model, x, _ = _problem(1, "relu")
    a = trace(model, list(x), np.int64(2))
    b = trace(model, x, np.array(2))
    assert a.label == b.label == 2 and np.array_equal(a.dW[0], b.dW[0])


def test_bad_models_and_settings_are_refused_with_a_clear_message(digits):
    model, x, label = _problem(1, "relu")
    with pytest.raises(ConfigError, match="expected an MLP or a Snapshot, got list"):
        trace(model.params, x, label)  # type: ignore[arg-type]
    snap = Trainer(Config(hidden=(4,), epochs=1), digits).snapshot(0)
    with pytest.raises(DataError, match="carries no parameters"):
        trace(dataclasses.replace(snap, params=()), digits.X_val[0], 0)
    bent = (snap.params[0], snap.params[1], snap.params[2].T, snap.params[3])
    with pytest.raises(DataError, match=r"W2 .* do not make a layer"):
        trace(dataclasses.replace(snap, params=bent), digits.X_val[0], 0)
    t = trace(model, x, label)
    for lr in (0.0, -0.1, float("nan"), 1e9, "0.1", None):
        with pytest.raises(ConfigError, match="learning_rate"):
            t.apply(lr)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="does not hold the 7 inputs"):
        t.update_images((2, 3))
    with pytest.raises(ConfigError, match="unit: 6 is out of range; allowed 0 to 5"):
        t.update_image(6, (7,))
    with pytest.raises(ConfigError, match="not a unit index"):
        t.template(1.0, (7,))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="give both, or neither"):
        t.learn(0.1, X_val=np.zeros((3, 7)))
    with pytest.raises(DataError, match="y_val: labels run from 0 to 4; allowed 0 to 3"):
        t.learn(0.1, np.zeros((3, 7)), np.array([0, 4, 1]))
    with pytest.raises(DataError, match="X_val: shape"):
        t.learn(0.1, np.zeros((3, 6)), np.array([0, 1, 1]))
    with pytest.raises(DataError, match="y_val: shape"):
        t.learn(0.1, np.zeros((3, 7)), np.array([0, 1]))
    with pytest.raises(DataError, match="NaN"):
        t.learn(0.1, np.full((3, 7), np.nan), np.array([0, 1, 1]))
