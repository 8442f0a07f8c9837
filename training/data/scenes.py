"""Source scenes: procedural ones (background, lit objects with known masks) and crops of real photographs.

A procedural scene is a description (background spec, objects with shape, colour, size, material, a light
direction) rendered on demand, so object edits change the description and re-render: colour, size, shape and
material change exactly inside the object's mask. Shapes are star-shaped radial functions r(theta), so one shape
morphs into another by blending the two functions.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from . import imaging
from .instructions import BACKGROUND_PHRASES, COLORS, SHAPE_NOUNS
from .materials import material_fill

COLOR_RGB = {
    "red": (0.86, 0.12, 0.12), "orange": (0.96, 0.55, 0.10), "yellow": (0.96, 0.86, 0.15),
    "green": (0.18, 0.66, 0.22), "blue": (0.15, 0.32, 0.86), "purple": (0.52, 0.20, 0.70),
    "pink": (0.96, 0.50, 0.70), "white": (0.94, 0.94, 0.92), "black": (0.10, 0.10, 0.11),
    "gray": (0.52, 0.52, 0.52), "brown": (0.50, 0.30, 0.14),
}
SHAPES = tuple(SHAPE_NOUNS)
NAMED_BACKGROUNDS = tuple(BACKGROUND_PHRASES)
SOURCE_BACKGROUNDS = ("gradient", "sky_ground", "noise", "plain") + NAMED_BACKGROUNDS


@dataclass
class SceneObject:
    shape: str
    color_name: str
    color: np.ndarray
    center: tuple[float, float]
    radius: float
    rotation: float
    morph_to: str | None = None
    morph: float = 0.0
    material: str | None = None
    material_weight: float = 0.0


@dataclass
class Scene:
    """A source image's description. kind 'photo' has no objects; its pixels are in `photo`."""
    kind: str
    size: int
    name: str
    background: str = "plain"
    background_seed: int = 0
    objects: list[SceneObject] = field(default_factory=list)
    light_angle: float = -math.pi / 4
    photo: np.ndarray | None = None
    # Background crossfade used by the background edit: (other background, seed, weight).
    background_blend: tuple[str, int, float] | None = None

    def copy(self) -> "Scene":
        """A deep copy that edits may change freely (the photo array is shared: it is never written)."""
        photo, self.photo = self.photo, None
        try:
            clone = copy.deepcopy(self)
        finally:
            self.photo = photo
        clone.photo = photo
        return clone


def _polygon_radius(theta: np.ndarray, radii: list[float], start: float) -> np.ndarray:
    """Boundary distance along angle theta of a star-shaped polygon with vertex radii at even angles."""
    count = len(radii)
    step = 2 * math.pi / count
    local = np.mod(theta - start, 2 * math.pi)
    index = np.floor(local / step).astype(np.int64) % count
    r1 = np.asarray(radii, dtype=np.float32)[index]
    r2 = np.asarray(radii, dtype=np.float32)[(index + 1) % count]
    phi = local - index * step
    # Ray from the centre meets the edge between the two vertices (law of sines on the triangle).
    return (r1 * r2 * math.sin(step)) / (r1 * np.sin(phi) + r2 * np.sin(step - phi))


def shape_radius(shape: str, theta: np.ndarray, rotation: float) -> np.ndarray:
    """r(theta) of a shape with circumradius 1."""
    if shape == "circle":
        return np.full_like(theta, 0.92)
    if shape == "square":
        return _polygon_radius(theta, [1.0] * 4, rotation + math.pi / 4)
    if shape == "triangle":
        return _polygon_radius(theta, [1.0] * 3, rotation - math.pi / 2)
    if shape == "pentagon":
        return _polygon_radius(theta, [1.0] * 5, rotation - math.pi / 2)
    if shape == "hexagon":
        return _polygon_radius(theta, [1.0] * 6, rotation)
    if shape == "diamond":
        return _polygon_radius(theta, [1.0, 0.68, 1.0, 0.68], rotation - math.pi / 2)
    if shape == "star":
        return _polygon_radius(theta, [1.0, 0.45] * 5, rotation - math.pi / 2)
    if shape == "flower":
        return 0.72 + 0.26 * np.cos(6 * (theta - rotation))
    raise KeyError(f"unknown shape {shape!r}; known: {SHAPES}")


def object_mask(obj: SceneObject, size: int) -> np.ndarray:
    """Anti-aliased coverage of an object, HxW in [0, 1]."""
    x, y = imaging.coords(size)
    dx, dy = x - obj.center[0], y - obj.center[1]
    rho = np.sqrt(dx * dx + dy * dy)
    theta = np.arctan2(dy, dx)
    radius = shape_radius(obj.shape, theta, obj.rotation)
    if obj.morph_to and obj.morph > 0:
        radius = imaging.lerp(radius, shape_radius(obj.morph_to, theta, obj.rotation), obj.morph)
    edge = (radius * obj.radius - rho) * size  # pixels inside the boundary
    return np.clip(edge + 0.5, 0.0, 1.0).astype(np.float32)


def render_background(name: str, seed: int, size: int) -> np.ndarray:
    """One background image, deterministic in (name, seed, size)."""
    rng = np.random.default_rng([seed, 7])
    x, y = imaging.coords(size)
    noise = imaging.value_noise(rng, size, 4)
    if name == "plain":
        color = rng.uniform(0.25, 0.9, 3)
        return (np.ones((size, size, 3)) * color + 0.04 * (noise[..., None] - 0.5)).astype(np.float32)
    if name == "gradient":
        a, b = rng.uniform(0.1, 0.95, 3), rng.uniform(0.1, 0.95, 3)
        angle = rng.uniform(0, 2 * math.pi)
        t = np.clip(0.5 + (x - 0.5) * math.cos(angle) + (y - 0.5) * math.sin(angle), 0, 1)
        return imaging.lerp(a, b, t[..., None]).astype(np.float32)
    if name == "noise":
        a, b = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 3)
        return imaging.lerp(a, b, noise[..., None]).astype(np.float32)
    if name in ("sky", "sky_ground"):
        top, bottom = np.array([0.25, 0.48, 0.85]), np.array([0.70, 0.84, 0.97])
        sky = imaging.lerp(top, bottom, y[..., None])
        clouds = np.clip((imaging.value_noise(rng, size, 3) - 0.55) * 2.5, 0, 1)[..., None]
        sky = imaging.lerp(sky, np.ones(3), 0.8 * clouds)
        if name == "sky":
            return sky.astype(np.float32)
        horizon = rng.uniform(0.55, 0.75)
        ground_color = np.array(COLOR_RGB[rng.choice(["green", "brown", "yellow"])]) * 0.8
        ground = ground_color * (0.8 + 0.4 * noise[..., None])
        cover = np.clip((y - horizon) * size + 0.5, 0, 1)[..., None]
        return imaging.lerp(sky, ground, cover).astype(np.float32)
    if name == "grass":
        blades = imaging.value_noise(rng, size, 24, octaves=2)
        green = np.array([0.20, 0.55, 0.18])
        return (green * (0.65 + 0.5 * blades[..., None]) + 0.1 * (noise[..., None] - 0.5)).astype(np.float32)
    if name == "sand":
        ripples = 0.5 + 0.5 * np.sin(2 * math.pi * (y * 14 + 0.8 * noise))
        return (np.array([0.90, 0.78, 0.55]) * (0.85 + 0.12 * ripples[..., None])).astype(np.float32)
    if name == "water":
        waves = 0.5 + 0.5 * np.sin(2 * math.pi * (y * 10 + x * 2 + 1.2 * noise))
        return imaging.lerp(np.array([0.05, 0.28, 0.55]), np.array([0.25, 0.60, 0.80]),
                            (0.6 * waves + 0.4 * noise)[..., None]).astype(np.float32)
    if name == "bricks":
        rows = 8
        row = np.floor(y * rows)
        offset = (row % 2) * 0.5
        col_pos = np.mod(x * rows / 2 + offset, 1.0)
        row_pos = np.mod(y * rows, 1.0)
        mortar = (col_pos < 0.06) | (row_pos < 0.1)
        brick = np.array([0.62, 0.24, 0.16]) * (0.8 + 0.35 * noise[..., None])
        return np.where(mortar[..., None], np.array([0.78, 0.76, 0.72]), brick).astype(np.float32)
    if name == "checker":
        cells = int(rng.integers(4, 9))
        a, b = rng.uniform(0.0, 1.0, 3), rng.uniform(0.0, 1.0, 3)
        parity = ((np.floor(x * cells) + np.floor(y * cells)) % 2)[..., None]
        return imaging.lerp(a, b, parity).astype(np.float32)
    if name == "stripes":
        count = int(rng.integers(4, 10))
        a, b = rng.uniform(0.0, 1.0, 3), rng.uniform(0.0, 1.0, 3)
        angle = rng.choice([0.0, math.pi / 2, math.pi / 4])
        t = x * math.cos(angle) + y * math.sin(angle)
        band = np.clip((np.sin(2 * math.pi * count * t) * 3) + 0.5, 0, 1)[..., None]
        return imaging.lerp(a, b, band).astype(np.float32)
    if name == "dots":
        count = int(rng.integers(5, 10))
        a, b = rng.uniform(0.0, 1.0, 3), rng.uniform(0.0, 1.0, 3)
        fx, fy = np.mod(x * count, 1.0) - 0.5, np.mod(y * count, 1.0) - 0.5
        dot = np.clip((0.28 - np.sqrt(fx * fx + fy * fy)) * size / count + 0.5, 0, 1)[..., None]
        return imaging.lerp(a, b, dot).astype(np.float32)
    raise KeyError(f"unknown background {name!r}; known: {SOURCE_BACKGROUNDS}")


def render(scene: Scene) -> np.ndarray:
    """The scene's pixels (a copy for photos), HxWx3 float32 in [0, 1]."""
    if scene.kind == "photo":
        return scene.photo.copy()
    size = scene.size
    image = render_background(scene.background, scene.background_seed, size)
    if scene.background_blend is not None:
        other, seed, weight = scene.background_blend
        image = imaging.lerp(image, render_background(other, seed, size), weight)
    light = np.array([math.cos(scene.light_angle), math.sin(scene.light_angle)], dtype=np.float32)
    x, y = imaging.coords(size)
    for obj in scene.objects:
        mask = object_mask(obj, size)
        # Soft shadow on the far side from the light.
        shadow = imaging.box_blur(np.roll(mask, (int(-light[1] * size * 0.03), int(-light[0] * size * 0.03)),
                                          axis=(0, 1)), max(1, size // 64))
        image = image * (1.0 - 0.35 * shadow[..., None])
        nx, ny = (x - obj.center[0]) / obj.radius, (y - obj.center[1]) / obj.radius
        shade = np.clip(0.92 + 0.28 * (nx * light[0] + ny * light[1]), 0.55, 1.25)[..., None]
        fill = np.clip(obj.color * shade, 0, 1)
        if obj.material and obj.material_weight > 0:
            textured = material_fill(obj.material, obj, image, shade, size)
            fill = imaging.lerp(fill, textured, obj.material_weight)
        image = imaging.lerp(image, fill, mask[..., None])
    return np.clip(image, 0, 1).astype(np.float32)


def random_object_scene(rng: np.random.Generator, size: int, name: str) -> Scene:
    """A procedural scene: a background and 1-3 objects of distinct shapes and colours, lit from one side."""
    background = str(rng.choice(SOURCE_BACKGROUNDS))
    count = int(rng.choice([1, 1, 2, 2, 3]))
    shapes = rng.choice(SHAPES, size=count, replace=False)
    colors = rng.choice(COLORS, size=count, replace=False)
    objects = []
    slots = [(0.5, 0.5)] if count == 1 else [(0.3, 0.35), (0.7, 0.65), (0.3, 0.72), (0.72, 0.3)]
    order = rng.permutation(len(slots))
    for i in range(count):
        cx, cy = slots[order[i]]
        radius = float(rng.uniform(0.24, 0.34)) if count == 1 else float(rng.uniform(0.16, 0.22))
        jitter = rng.uniform(-0.06, 0.06, 2)
        rgb = np.array(COLOR_RGB[str(colors[i])]) + rng.uniform(-0.04, 0.04, 3)
        rgb = np.clip(imaging.lerp(rgb, rgb.mean(), rng.uniform(0.0, 0.35)), 0, 1).astype(np.float32)  # some muted
        objects.append(SceneObject(shape=str(shapes[i]), color_name=str(colors[i]), color=rgb,
                                   center=(float(cx + jitter[0]), float(cy + jitter[1])), radius=radius,
                                   rotation=float(rng.uniform(-0.3, 0.3))))
    return Scene(kind="procedural", size=size, name=name, background=background,
                 background_seed=int(rng.integers(1 << 30)), objects=objects,
                 light_angle=float(rng.uniform(-math.pi, 0)))


def photo_scene(rng: np.random.Generator, photo: np.ndarray, size: int, name: str) -> Scene:
    """A random square crop (60-100% of the side), maybe mirrored, of a stored photograph, resized to size."""
    side = photo.shape[0]
    crop = int(side * rng.uniform(0.6, 1.0))
    top, left = (int(rng.integers(0, side - crop + 1)) for _ in range(2))
    patch = photo[top:top + crop, left:left + crop]
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    pixels = np.clip(imaging.resize(np.ascontiguousarray(patch), (size, size)), 0, 1)
    return Scene(kind="photo", size=size, name=name, photo=pixels.astype(np.float32),
                 light_angle=float(rng.uniform(-math.pi, 0)))
