"""The product's seeded Gaussian noise (nodes/kontext/math/noise.ts, algorithm version 1) in Python, so that a
PyTorch evaluation draws the very noise the product draws for the same seed and its outputs can be compared pair
by pair, not only on average. SplitMix64 expands the seed into xoshiro128** state; two 32-bit words make a
53-bit uniform in (0, 1]; Box-Muller in float64 gives values in pairs (cos first), each rounded to float32.
Python's math functions come from the C library and V8's from fdlibm: they can differ in the last float64 bit,
which survives the rounding to float32 only rarely."""
import math

import numpy as np

MASK64 = (1 << 64) - 1
MASK32 = 0xFFFFFFFF


def _splitmix64(state):
    nxt = (state + 0x9E3779B97F4A7C15) & MASK64
    z = nxt
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return nxt, z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


class SeededRandom:
    def __init__(self, seed):
        if not isinstance(seed, int) or not 0 <= seed <= MASK64:
            raise ValueError(f"seed must be an integer from 0 to 2^64-1, got {seed!r}")
        state, a = _splitmix64(seed)
        _, b = _splitmix64(state)
        self.s = [a >> 32, a & MASK32, b >> 32, b & MASK32]
        if not any(self.s):
            self.s[0] = 0x9E3779B9

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK32, 7) * 9) & MASK32
        t = (s1 << 9) & MASK32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self.s = [s0, s1, s2, _rotl(s3, 11)]
        return result

    def next_uniform(self):
        hi = self.next_uint32() >> 11
        lo = self.next_uint32()
        return (hi * 4294967296 + lo + 1) / 9007199254740992


def gaussian_noise(seed, count):
    """`count` standard normal float32 values for `seed`, exactly as the product's gaussianNoise."""
    random = SeededRandom(seed)
    out = np.empty(count, dtype=np.float32)
    for i in range(0, count, 2):
        r = math.sqrt(-2.0 * math.log(random.next_uniform()))
        theta = 2.0 * math.pi * random.next_uniform()
        out[i] = r * math.cos(theta)
        if i + 1 < count:
            out[i + 1] = r * math.sin(theta)
    return out
