"""Time: daily and weekly rhythm, local hours, and the BTC price path."""

from __future__ import annotations

import numpy as np

from moneytrail.synth.world import DAY, World


def weekday_of(world: World, day_index: np.ndarray) -> np.ndarray:
    # 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
    out: np.ndarray = (day_index + (world.start // DAY) + 3) % 7
    return out


def sample_days(rng: np.random.Generator, world: World, n: int, first_day: int, last_day: int) -> np.ndarray:
    """Day indices in [first_day, last_day) weighted by day of week."""
    days = np.arange(first_day, last_day)
    weights = world.weekdays[weekday_of(world, days)]
    return rng.choice(days, size=n, p=weights / weights.sum())


def local_to_utc(world: World, day: np.ndarray, seconds_of_day: np.ndarray, tz: np.ndarray | int) -> np.ndarray:
    out: np.ndarray = world.start + day.astype(np.int64) * DAY + seconds_of_day.astype(np.int64) - np.asarray(tz) * 60
    return out


def sample_times(
    rng: np.random.Generator,
    world: World,
    n: int,
    first_day: int,
    last_day: int,
    profile: str,
    tz: np.ndarray | int,
) -> np.ndarray:
    """UTC epoch seconds for n events with the hour profile in the actor's local time."""
    day = sample_days(rng, world, n, first_day, last_day)
    hour = rng.choice(24, size=n, p=world.hours(profile))
    seconds = hour * 3600 + rng.integers(0, 3600, size=n)
    return local_to_utc(world, day, seconds, tz)


def hour_seconds(rng: np.random.Generator, world: World, n: int, profile: str) -> np.ndarray:
    hour = rng.choice(24, size=n, p=world.hours(profile))
    return hour * 3600 + rng.integers(0, 3600, size=n)


def btc_path(seed: int, world: World) -> np.ndarray:
    """USD per BTC for each day: a seeded geometric random walk (same for every period)."""
    rng = np.random.default_rng([seed, 99])
    steps = rng.normal(0.0, float(world["btc_daily_volatility"]), size=world.days + 400)
    out: np.ndarray = float(world["btc_usd"]) * np.exp(np.cumsum(steps) - steps[0])
    return out


def in_window(ts: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (ts >= lo) & (ts < hi)
