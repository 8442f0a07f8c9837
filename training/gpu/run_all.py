"""Train kontext-tiny end to end inside one command on a borrowed GPU machine (also runs on CPU for a toy check):

    python training/gpu/run_all.py --budget-s 470 --out $OUT --sources .gpu/sources

1. generates a first data set (train + held-out) with the data pipeline's generator (process pool), then starts
   a second, larger training generation in the background (another seed, same held-out photos kept out);
2. trains the VAE on the first set while the second one is generated, then stops the generator;
3. encodes every training frame once (latents on the device) and trains stage 1, then stage 2;
4. evaluates the quality bars on the held-out pairs, draws the sample strip and sweeps the workflows' sample
   photo (training/eval/sample_check.py: a model can gain on the held-out averages and still break the default
   example).
Every phase ends on a wall-clock deadline (fractions of --budget-s); checkpoints (EMA weights, fp16 when large),
the log, the data report, eval.json and strip.png are written into --out as they are reached (8 files at most).
Runs under torch 1.13 and torch 2.x: bf16 autocast and TF32 on CUDA only, no torch.compile."""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from training.data import generate as datagen  # noqa: E402
from training.eval.__main__ import run_eval  # noqa: E402
from training.eval.sample_check import SAMPLE, centre_crop, sample_sweeps  # noqa: E402
from training.gpu.stream import GrowingData, load_frames, read_records_robust  # noqa: E402
from training.train import ckpt, memdata  # noqa: E402
from training.train.editor import train_editor  # noqa: E402
from training.train.parts import Parts, new_models  # noqa: E402
from training.train.runtime import Logger, load_checkpoint, pick_device, save_checkpoint  # noqa: E402
from training.train.ship import with_strength_control  # noqa: E402
from training.train.stages import add_sampler_aims, sampler_aims  # noqa: E402
from training.train.vae import train_vae  # noqa: E402

BIG_MODEL = {"transformer": {"num_attention_heads": 5, "num_layers": 3, "num_single_layers": 5,
                             "lora_rank": 16, "lora_alpha": 16.0},
             "projector": {"out_dim": 320}}
TINY_MODEL = {"transformer": {"lora_rank": 16, "lora_alpha": 16.0}}


def slim_payload(payload, max_bytes=15 * 2 ** 20):
    """The payload without resume state; float tensors stored as fp16 when fp32 would pass max_bytes."""
    p = ckpt.slim(payload)
    size = sum(v.numel() * 4 for name in ckpt.COMPONENTS for v in p[name].values() if torch.is_tensor(v))
    if size > max_bytes:
        for name in ckpt.COMPONENTS:
            p[name] = {k: (v.half() if v.is_floating_point() else v) for k, v in p[name].items()}
        p["provenance"] = dict(p["provenance"], stored_dtype="float16")
    return p


class Run:
    def __init__(self, args):
        self.args = args
        self.t0 = time.time()
        self.out = args.out
        os.makedirs(self.out, exist_ok=True)
        os.makedirs(args.work, exist_ok=True)
        self.log = Logger(os.path.join(self.out, "log.jsonl"))
        self.device = pick_device(args.device)

    def now(self):
        return time.time() - self.t0

    def deadline(self, frac):
        return self.args.budget_s * frac - self.now()

    def save(self, stage, payload):
        save_checkpoint(os.path.join(self.out, f"{stage}.pt"), slim_payload(payload))
        self.log(event="saved", stage=stage, t=round(self.now(), 1))

    def start_background_generation(self, out, seed):
        a = self.args
        cmd = [sys.executable, "-m", "training.data.generate", "--out", out,
               "--size", str(a.size), "--train", str(a.big_train), "--heldout", "0", "--seed", str(seed),
               "--workers", str(max(1, a.workers - 2))]
        if a.sources:
            cmd += ["--sources", a.sources]
        logf = open(out + ".log", "w")
        return subprocess.Popen(cmd, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def continue_from(self, path):
        """Second-call mode: fresh training data (another seed), the same held-out set (seed 0), stage 1
        continued from a stage-1 checkpoint of an earlier call, then stage 2 and the evaluation as usual.
        While stage 1 runs, a background generator (seed --train-seed + 1) keeps writing sequences and the
        run takes them in every minute, so the GPU trains on more distinct sequences than a first set alone."""
        a = self.args
        dev = self.device
        payload = load_checkpoint(path)
        data_h = os.path.join(a.work, "heldout")
        data_t = os.path.join(a.work, f"train-seed{a.train_seed}")
        rep_h = datagen.generate(a.sources, data_h, a.size, 0, a.heldout, 0, a.workers)
        rep_t = datagen.generate(a.sources, data_t, a.size, a.small_train, 0, a.train_seed, a.workers)
        self.log(event="data", seconds=round(rep_h["seconds"] + rep_t["seconds"], 1),
                 rate=round(rep_t["sequences_per_second"], 1), t=round(self.now(), 1))
        data_b = os.path.join(a.work, f"train-seed{a.train_seed + 1}")
        gen_b = self.start_background_generation(data_b, a.train_seed + 1) if a.big_train > 0 else None
        frames, records = load_frames(os.path.join(data_t, "train"),
                                      read_records_robust(os.path.join(data_t, "train")), a.workers)
        models = ckpt.models_from(payload)
        prior = dict(models.provenance.get("stage1", {}))
        parts = Parts(models, dev)
        data = memdata.encode_set(parts, frames, records)
        del frames
        self.log(event="encoded", sequences=len(data), t=round(self.now(), 1))
        grower = None
        if gen_b:
            grower = GrowingData(parts, os.path.join(data_b, "train"), max(2, a.workers // 2), self.log,
                                 background=True)
        p1 = train_editor("stage1", parts, data, self.deadline(a.frac_stage1), a.max_steps, a.s1_batch, a.s1_lr,
                          self.log, on_checkpoint=lambda p: self.save("stage1", p), checkpoint_every_s=60,
                          warmup=a.warmup, ema_decay=a.ema_decay, grow=grower, grow_every_s=a.grow_every_s,
                          **sampler_aims(self.args))
        if gen_b:
            self.stop(gen_b)
            data = grower.latest if grower.latest is not None else data
            data = grower(data, final=True) or data
        records = data.records
        cats = {}
        for r in records:
            cats[r["category"]] = cats.get(r["category"], 0) + 1
        with open(os.path.join(self.out, "data_report.json"), "w") as f:
            json.dump({"heldout": rep_h, "train": rep_t, "train_sequences": len(records),
                       "background_sequences": grower.added if grower else 0, "train_per_category": cats}, f, indent=1)
        p1["provenance"].setdefault("continued", []).append(
            {"from": os.path.basename(path), "stage1_steps_before": prior.get("steps"), "train_seeds":
             [a.train_seed] + ([a.train_seed + 1] if gen_b else []), "sequences": len(records)})
        p1["provenance"]["stage1_first_call"] = prior
        return self.stage2_and_eval(p1, data, data_h, warm_from=payload if a.s2_warm else None)

    def stage2_and_eval(self, p1, data, heldout_dir, warm_from=None):
        """Stage 2 on the stage-1 base: from a zero modulation, or (warm_from) from that checkpoint's projector and
        LoRA, which a continued base has moved only a little from."""
        a = self.args
        dev = self.device
        models = ckpt.models_from(p1 if warm_from is None else with_strength_control(p1, warm_from))
        if warm_from is None:
            models.projector.zero_init_output()
        parts = Parts(models, dev)
        memdata.add_text_features(parts, data)
        p2 = train_editor("stage2", parts, data, self.deadline(a.frac_stage2), a.max_steps, a.s2_batch, a.s2_lr,
                          self.log, on_checkpoint=lambda p: self.save("stage2", p), checkpoint_every_s=60,
                          strengths_per_seq=a.s2_strengths, warmup=a.warmup // 2, ema_decay=a.ema_decay,
                          **sampler_aims(self.args))
        del data
        models = ckpt.models_from(p2).eval()
        parts = Parts(models, dev)
        cfg = models.config
        rep_eval = run_eval(parts, heldout_dir, a.heldout, cfg.default_steps, cfg.default_guidance,
                            out=os.path.join(self.out, "eval.json"), strip=os.path.join(self.out, "strip.png"),
                            workers=a.workers, log=print)
        width, height = cfg.native_resolution
        rows = sample_sweeps(parts, centre_crop(SAMPLE, width, height))
        self.log(event="sample_check", grows=f"{sum(ok for *_, ok in rows)}/{len(rows)}",
                 failing=[[text, seed, [round(c, 3) for c in change]] for text, seed, change, ok in rows if not ok])
        self.log(event="done", t=round(self.now(), 1),
                 bars={k: [None if v["value"] is None else round(v["value"], 4), v["met"]]
                       for k, v in rep_eval["bars"].items()})
        return 0

    def main(self):
        a = self.args
        dev = self.device
        self.log(event="start", device=str(dev), torch=torch.__version__,
                 gpu=(torch.cuda.get_device_name(0) if dev.type == "cuda" else "none"), budget_s=a.budget_s)
        if a.continue_from:
            return self.continue_from(a.continue_from)
        # 1. First data set, then the big one in the background.
        data_a = os.path.join(a.work, "dataA")
        rep = datagen.generate(a.sources, data_a, a.size, a.small_train, a.heldout, 0, a.workers)
        self.log(event="data_a", seconds=round(rep["seconds"], 1), rate=round(rep["sequences_per_second"], 1),
                 t=round(self.now(), 1))
        with open(os.path.join(self.out, "data_report.json"), "w") as f:
            json.dump({"first": rep}, f, indent=1)
        gen_b = self.start_background_generation(os.path.join(a.work, "dataB"), 1) if a.big_train > 0 else None
        torch.set_num_threads(2 if gen_b else max(1, os.cpu_count() or 1))
        # 2. VAE on the first set while the second is generated.
        frames_a, records_a = memdata.load_split(os.path.join(data_a, "train"), workers=2)
        held_frames, _ = memdata.load_split(os.path.join(data_a, "heldout"), 64)
        models = new_models(overrides=json.loads(a.overrides) if a.overrides else None)
        models.provenance["trained_on"] = f"{torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'CPU'}"
        models.provenance["torch"] = torch.__version__
        p_vae = train_vae(models, frames_a, dev, budget_s=self.deadline(a.frac_vae), max_steps=a.max_steps,
                          batch=a.vae_batch, lr=a.vae_lr, log=self.log, on_checkpoint=lambda p: self.save("vae", p),
                          checkpoint_every_s=60, heldout_frames=held_frames[:, 0])
        frames, records = frames_a, records_a
        if gen_b:
            self.stop(gen_b)
            torch.set_num_threads(max(1, os.cpu_count() or 1))
            rec_b = read_records_robust(os.path.join(a.work, "dataB", "train"))
            if rec_b:
                fb, rb = load_frames(os.path.join(a.work, "dataB", "train"), rec_b, a.workers)
                frames = np.concatenate([frames_a, fb])
                records = records_a + rb
            self.log(event="data_b", sequences=len(rec_b), t=round(self.now(), 1))
        del frames_a
        # 3. Latents once; stage 1.
        models = ckpt.models_from(p_vae)
        parts = Parts(models, dev)
        data = memdata.encode_set(parts, frames, records)
        cats = {}
        for r in records:
            cats[r["category"]] = cats.get(r["category"], 0) + 1
        self.log(event="encoded", sequences=len(data), per_category=cats, t=round(self.now(), 1))
        with open(os.path.join(self.out, "data_report.json"), "w") as f:
            json.dump({"first": rep, "train_sequences": len(records), "train_per_category": cats}, f, indent=1)
        del frames
        p1 = train_editor("stage1", parts, data, self.deadline(a.frac_stage1), a.max_steps, a.s1_batch, a.s1_lr,
                          self.log, on_checkpoint=lambda p: self.save("stage1", p), checkpoint_every_s=60,
                          warmup=a.warmup, ema_decay=a.ema_decay, **sampler_aims(self.args))
        # 4. Stage 2 from the averaged stage-1 weights; 5. quality bars on the held-out pairs.
        return self.stage2_and_eval(p1, data, data_a)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-s", type=float, required=True, help="wall-clock seconds for the whole run")
    ap.add_argument("--out", required=True, help="folder for checkpoints, log, eval.json, strip.png")
    ap.add_argument("--sources", default=None, help="photo folder written by training.data.sources")
    ap.add_argument("--work", default="/tmp/kontext-tiny-gpu", help="scratch folder for the generated data")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--small-train", type=int, default=1500)
    ap.add_argument("--big-train", type=int, default=1000000, help="target of the background generation (it is "
                    "stopped at the VAE deadline); 0 disables it")
    ap.add_argument("--heldout", type=int, default=300)
    ap.add_argument("--overrides", default=json.dumps(BIG_MODEL), help="config overrides as JSON")
    ap.add_argument("--frac-vae", type=float, default=0.30)
    ap.add_argument("--frac-stage1", type=float, default=0.72)
    ap.add_argument("--frac-stage2", type=float, default=0.90)
    ap.add_argument("--max-steps", type=int, default=None, help="cap every phase at this many steps (toy runs)")
    ap.add_argument("--vae-batch", type=int, default=64)
    ap.add_argument("--vae-lr", type=float, default=1e-3)
    ap.add_argument("--s1-batch", type=int, default=256)
    ap.add_argument("--s1-lr", type=float, default=6e-4)
    ap.add_argument("--s2-batch", type=int, default=64, help="sequences per stage-2 batch")
    ap.add_argument("--s2-strengths", type=int, default=7, help="strengths per sequence in stage 2")
    ap.add_argument("--s2-lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--ema-decay", type=float, default=0.999)
    ap.add_argument("--device", default=None)
    ap.add_argument("--continue-from", default=None, help="a stage-1 checkpoint of an earlier call: skip the VAE, "
                    "generate --small-train fresh sequences with --train-seed and continue stage 1 on them")
    ap.add_argument("--train-seed", type=int, default=2)
    ap.add_argument("--grow-every-s", type=float, default=60, help="how often stage 1 of --continue-from takes in "
                    "the background generator's new sequences")
    add_sampler_aims(ap)  # both stages
    ap.add_argument("--s2-warm", action="store_true", help="with --continue-from: stage 2 starts from the "
                    "checkpoint's projector and LoRA instead of a zero modulation")
    args = ap.parse_args(argv)
    return Run(args).main()


if __name__ == "__main__":
    raise SystemExit(main())
