"""Learning-rate schedule on wall-clock progress: linear warm-up over steps, cosine decay over the time budget
(or over a step count when no budget is given), so a run that is cut short still ends at a low rate."""
import math


def lr_at(peak, step, warmup_steps, progress, floor=0.05):
    """Peak rate scaled by warm-up (step/warmup) and cosine decay of progress in [0, 1] down to floor*peak."""
    warm = min(1.0, (step + 1) / max(1, warmup_steps))
    p = min(max(progress, 0.0), 1.0)
    decay = floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * p))
    return peak * warm * decay


def progress(budget, step, max_steps):
    """Fraction of the run done: the larger of time spent / budget and step / max_steps."""
    parts = []
    if budget.seconds:
        parts.append(budget.elapsed() / budget.seconds)
    if max_steps:
        parts.append(step / max_steps)
    return max(parts) if parts else 0.0


def set_lr(optimizer, lr):
    for g in optimizer.param_groups:
        g["lr"] = lr * g.get("lr_scale", 1.0)
