"""Fetch real photographs from Debian packages and store them small: `python -m training.data.sources --out DIR`.

Packages come with `apt-get download` (no system install) and are unpacked with `dpkg-deb -x` into a temporary
folder. Each kept image is centre-cropped square, resized to --size (short side), saved as PNG, and recorded in
DIR/sources.json with its package, path inside the package, licence and the text the licence was read from.
Licences are read from the packages themselves: the DEP-5 copyright file of mate-backgrounds, the docstrings of
skimage/data/_fetchers.py (only images stated CC0 or public domain are kept) and gnome-backgrounds' copyright.
"""
from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

# Photographs worth training on, per package (logos, diagrams, microscopy and tiny test images are left out).
MATE_DIR = "usr/share/backgrounds/mate"
MATE_FILES = ("nature/Aqua.jpg", "nature/Blinds.jpg", "nature/Dune.jpg", "nature/FreshFlower.jpg",
              "nature/Garden.jpg", "nature/GreenMeadow.jpg", "nature/LadyBird.jpg", "nature/RainDrops.jpg",
              "nature/Storm.jpg", "nature/TwoWings.jpg", "nature/Wood.jpg", "nature/YellowFlower.jpg",
              "abstract/Elephants.jpg", "desktop/GreenTraditional.jpg")
SKIMAGE_DIR = "usr/lib/python3/dist-packages/skimage/data"
SKIMAGE_PHOTOS = ("astronaut", "camera", "brick", "grass", "gravel", "coffee", "chelsea", "hubble_deep_field",
                  "rocket", "clock", "retina", "cell", "eagle", "lily")
GNOME_DIR = "usr/share/backgrounds/gnome"
GNOME_FILES = ("adwaita-l.webp", "adwaita-d.webp", "grid-l.webp", "licorice-l.webp", "pixels-l.webp",
               "symbolic-l.webp", "truchet-l.webp", "wood-l.webp")
FREE_LICENCE = re.compile(r"(?i)\bcc-?0\b|public domain")


def download(packages: list[str], into: str) -> dict[str, str]:
    """Download .deb files with apt-get and unpack each; returns package -> unpacked root. Throws on failure."""
    result = subprocess.run(["apt-get", "download", *packages], cwd=into, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"apt-get download {' '.join(packages)} failed in {into}: {result.stderr.strip()}")
    roots = {}
    for name in os.listdir(into):
        if not name.endswith(".deb"):
            continue
        package = name.split("_", 1)[0]
        root = os.path.join(into, "x-" + package)
        os.makedirs(root, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", os.path.join(into, name), root], check=True)
        roots[package] = root
    missing = [p for p in packages if p not in roots]
    if missing:
        raise RuntimeError(f"packages not unpacked: {missing}")
    return roots


def dep5_licences(copyright_text: str) -> list[tuple[list[str], str, str]]:
    """(file globs, licence, copyright) paragraphs of a machine-readable (DEP-5) debian/copyright."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", copyright_text):
        files = re.search(r"^Files:(.*?)(?=^\S)", block + "\nX", re.S | re.M)
        licence = re.search(r"^License:\s*(\S.*)$", block, re.M)
        holder = re.search(r"^Copyright:(.*?)(?=^\S)", block + "\nX", re.S | re.M)
        if files and licence:
            globs = files.group(1).split()
            paragraphs.append((globs, licence.group(1).strip(), " ".join((holder.group(1) if holder else "").split())))
    return paragraphs


def licence_for(path: str, paragraphs: list[tuple[list[str], str, str]]) -> tuple[str, str]:
    """The licence and copyright of `path` (the last matching paragraph wins, as DEP-5 says)."""
    found = ("", "")
    for globs, licence, holder in paragraphs:
        if any(fnmatch.fnmatch(path, glob) for glob in globs):
            found = (licence, holder)
    return found


def skimage_licences(fetchers_source: str) -> dict[str, tuple[str, str]]:
    """Function name -> (data file, licence sentence) from skimage/data/_fetchers.py's docstrings."""
    tree = ast.parse(fetchers_source)
    out = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        segment = ast.get_source_segment(fetchers_source, node) or ""
        files = re.findall(r"_(?:fetch|load)\(['\"]([^'\"]+)", segment)
        doc = ast.get_docstring(node) or ""
        flat = re.sub(r"Notes\s*-+\s*", "", " ".join(doc.split()))
        sentences = [s.strip() for s in re.split(r"(?<=\.)\s", flat) if FREE_LICENCE.search(s)]
        if files and sentences:
            out[node.name] = (files[-1], " ".join(sentences))
    return out


def square_resized(path: str, size: int) -> Image.Image:
    """The image at `path` as RGB, centre-cropped square and resized to size x size."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        return image.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS)


def collect(roots: dict[str, str]) -> list[dict]:
    """Every usable image: package, file path, licence, licence evidence and a short id."""
    entries = []
    mate_root = roots["mate-backgrounds"]
    mate_copyright = open(os.path.join(mate_root, "usr/share/doc/mate-backgrounds/copyright"), encoding="utf-8").read()
    paragraphs = dep5_licences(mate_copyright)
    for rel in MATE_FILES:
        licence, holder = licence_for(rel, paragraphs)
        if not licence:
            continue
        entries.append({"id": "mate-" + os.path.splitext(os.path.basename(rel))[0].lower(),
                        "package": "mate-backgrounds", "file": f"/{MATE_DIR}/{rel}", "licence": licence,
                        "copyright": holder, "evidence": "/usr/share/doc/mate-backgrounds/copyright (DEP-5)",
                        "kind": "photograph", "_path": os.path.join(mate_root, MATE_DIR, rel)})
    sk_root = roots["python3-skimage"]
    fetchers = open(os.path.join(sk_root, SKIMAGE_DIR, "_fetchers.py"), encoding="utf-8").read()
    licences = skimage_licences(fetchers)
    for name in SKIMAGE_PHOTOS:
        if name not in licences:
            continue  # not stated CC0 or public domain in the package: left out
        data_file, sentence = licences[name]
        path = os.path.join(sk_root, SKIMAGE_DIR, os.path.basename(data_file))
        if not os.path.exists(path):
            continue  # downloaded on demand by skimage, not shipped in the package
        licence = "CC0-1.0" if re.search(r"(?i)cc-?0", sentence) else "public-domain"
        entries.append({"id": "skimage-" + name, "package": "python3-skimage",
                        "file": f"/{SKIMAGE_DIR}/{os.path.basename(data_file)}", "licence": licence,
                        "copyright": sentence, "evidence": f"docstring of skimage.data.{name} in _fetchers.py",
                        "kind": "photograph", "_path": path})
    gnome_root = roots["gnome-backgrounds"]
    for rel in GNOME_FILES:
        path = os.path.join(gnome_root, GNOME_DIR, rel)
        if not os.path.exists(path):
            continue
        licence = "CC-BY-SA-3.0" if rel.startswith("adwaita") else "GPL-2+ (package licence; file not listed)"
        entries.append({"id": "gnome-" + os.path.splitext(rel)[0], "package": "gnome-backgrounds",
                        "file": f"/{GNOME_DIR}/{rel}", "licence": licence,
                        "copyright": "GNOME backgrounds authors (Jakub Steiner et al.)",
                        "evidence": "/usr/share/doc/gnome-backgrounds/copyright", "kind": "illustration",
                        "_path": path})
    return entries


def package_versions(packages: list[str]) -> dict[str, str]:
    """The candidate version apt would download for each package (recorded for reproducibility)."""
    versions = {}
    for package in packages:
        out = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True).stdout
        match = re.search(r"Candidate:\s*(\S+)", out)
        versions[package] = match.group(1) if match else "unknown"
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the PNGs and sources.json")
    parser.add_argument("--size", type=int, default=256, help="side of the square PNGs (default 256)")
    args = parser.parse_args(argv)
    packages = ["mate-backgrounds", "python3-skimage", "gnome-backgrounds"]
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kontext-sources-") as temp:
        roots = download(packages, temp)
        entries = collect(roots)
        records = []
        for entry in entries:
            image = square_resized(entry.pop("_path"), args.size)
            if np.asarray(image).std() < 8:
                continue  # nearly flat: nothing to edit
            file_name = entry["id"] + ".png"
            image.save(os.path.join(args.out, file_name), optimize=True)
            records.append({**entry, "png": file_name})
    manifest = {"size": args.size, "packages": package_versions(packages), "images": records}
    with open(os.path.join(args.out, "sources.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
    total = sum(os.path.getsize(os.path.join(args.out, r["png"])) for r in records)
    by_package: dict[str, int] = {}
    for record in records:
        by_package[record["package"]] = by_package.get(record["package"], 0) + 1
    print(f"{len(records)} images, {total / 1e6:.1f} MB in {args.out}: {by_package}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
