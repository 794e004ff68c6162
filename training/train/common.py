"""Shared pieces of the mini-unCLIP generative models: the noise schedule, timestep
embeddings, the frozen mini-CLIP, data batches, EMA and the checkpoint/resume loop."""
import argparse
import hashlib
import json
import math
import os
import re
import time

import numpy as np
import torch

from training.models.clip_model import MiniClip
from training.world.shapesworld import ShapesWorldDataset, WordTokenizer, picture_chunks
from training.world.world import BACKGROUND_RGB, RELATIONS

from training.models.diffusion import T_STEPS, alphas_cumprod  # noqa: F401 (T_STEPS for the trainers)
from training.paths import TRAINING, VOCAB  # noqa: F401


def pick_device(name):
    """The training device: "cuda" (default where a GPU is visible) or "cpu"."""
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is visible to PyTorch (use --device cpu)")
    if name == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    return torch.device(name)


def load_clip(path, device="cpu"):
    ck = torch.load(path, map_location="cpu")
    with open(VOCAB) as f:
        vocab = json.load(f)
    clip = MiniClip(len(vocab))
    clip.load_state_dict(ck["model"])
    clip.eval()
    for p in clip.parameters():
        p.requires_grad_(False)
    return clip.to(device)


RELATION_WORDS = re.compile(" (" + "|".join(RELATIONS) + ") ")


class Batches:
    """Random batches of (64x64 images in [-1, 1], caption ids) from a dataset.

    Caption ids are tokenized once. On a GPU the images are copied to device memory once
    (100k images are 1.2 GB) so that a batch is one gather, not a host-to-device copy of a
    memory-mapped slice. `p_two` oversamples two-object scenes (None: the dataset's mix)."""

    def __init__(self, data_path, seed, device="cpu"):
        self.ds = ShapesWorldDataset(data_path)
        self.tok = WordTokenizer(VOCAB)
        self.rng = np.random.default_rng(seed)
        self.device = torch.device(device)
        self.objects = np.array([len(s["objects"]) for s in self.ds.scenes])
        self.two = np.flatnonzero(self.objects == 2)
        self.one = np.flatnonzero(self.objects == 1)
        self.per_image = np.array([len(c) for c in self.ds.captions])
        width = self.per_image.max()
        ids = np.zeros((self.ds.count, width, self.tok.context_length), dtype=np.int64)
        for i, caps in enumerate(self.ds.captions):
            ids[i, : len(caps)] = self.tok.encode_batch(caps)
        self.caption_ids = torch.from_numpy(ids)
        self.background = (
            torch.tensor([BACKGROUND_RGB[s["background"]] for s in self.ds.scenes], dtype=torch.float32) / 127.5 - 1
        )
        self.gpu_images = None
        self.relation_table = None
        self.relation_table_named = False
        if self.device.type != "cpu":
            self.gpu_images = torch.from_numpy(np.asarray(self.ds.images)).to(self.device)
            self.caption_ids = self.caption_ids.to(self.device)
            self.background = self.background.to(self.device)

    def indices(self, n, p_two=None):
        if p_two is None:
            return np.sort(self.rng.choice(self.ds.count, size=n, replace=False))
        k = int(round(n * p_two))
        return np.sort(
            np.concatenate(
                [self.rng.choice(self.two, size=k, replace=False), self.rng.choice(self.one, size=n - k, replace=False)]
            )
        )

    def ids_of(self, idx):
        """One of each image's captions, at random, as ids [n, L] on the device."""
        which = torch.from_numpy(self.rng.integers(0, self.per_image[idx]))
        rows = torch.from_numpy(idx)
        if self.device.type != "cpu":
            rows, which = rows.to(self.device), which.to(self.device)
        return self.caption_ids[rows, which]

    def prefer_relations(self, idx, ids, p, stated_background=False):
        """ids with each picture's caption replaced, with probability p, by one of its captions that states a
        relation ("left of", "right of", "above", "below"), where it has one: about half of the two-object
        captions say only "and", and those teach no relation. stated_background: among those, one that also names
        the background where the picture has one (about 2 in 3 do): where the background is not named, its
        uncertainty at high noise swamps the relation's share of the loss (training/probes/probe_conditioning.py)."""
        if self.relation_table is None or self.relation_table_named != stated_background:
            self.relation_table_named = stated_background

            def relation_captions(caps):
                rel = [j for j, c in enumerate(caps) if RELATION_WORDS.search(c)]
                named = [j for j in rel if caps[j].endswith(" background")]
                return named if stated_background and named else rel

            rel = [relation_captions(caps) for caps in self.ds.captions]
            self.relation_count = np.array([len(r) for r in rel])
            self.relation_table = np.zeros((len(rel), max(1, self.relation_count.max())), dtype=np.int64)
            for i, r in enumerate(rel):
                self.relation_table[i, : len(r)] = r
        count = self.relation_count[idx]
        use = (count > 0) & (self.rng.random(len(idx)) < p)
        which = self.relation_table[idx, (self.rng.random(len(idx)) * count).astype(np.int64)]
        if not use.any():
            return ids
        ids = ids.clone()
        rows = torch.from_numpy(idx[use]).to(self.caption_ids.device)
        ids[torch.from_numpy(use).to(ids.device)] = self.caption_ids[rows, torch.from_numpy(which[use]).to(rows.device)]
        return ids

    def sample_ids(self, n, p_two=None):
        """Dataset indices and caption ids only (no pixels)."""
        idx = self.indices(n, p_two)
        return torch.from_numpy(idx).to(self.device), self.ids_of(idx)

    def images(self, idx):
        if self.gpu_images is not None:
            x = self.gpu_images[torch.from_numpy(idx).to(self.device)].float()
        else:
            x = torch.from_numpy(np.asarray(self.ds.images[idx], dtype=np.float32))
        return x.permute(0, 3, 1, 2) / 127.5 - 1.0

    def sample(self, n, p_two=None):
        """(indices, images [n, 3, 64, 64] in [-1, 1], caption ids [n, L]), on the device."""
        idx = self.indices(n, p_two)
        return idx, self.images(idx), self.ids_of(idx)


def image_embeddings(clip, ds, clip_path, chunk=512, device="cpu"):
    """CLIP image embeddings of every dataset image, computed once and cached next to the dataset."""
    with open(clip_path, "rb") as f:  # content, not mtime: a fresh clone or another machine has new mtimes
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    stamp = f"{digest}-{ds.count}"
    cache = os.path.join(os.path.dirname(os.path.abspath(ds.path)), f"clip-image-embeds-{stamp}.npy")
    if os.path.exists(cache):
        return torch.from_numpy(np.load(cache)).to(device)
    out = np.zeros((ds.count, clip.image.head[-1].out_features), dtype=np.float32)
    t0 = time.time()
    with torch.no_grad():
        for s, x in picture_chunks(ds, chunk):
            out[s : s + chunk] = clip.image(x.to(device)).cpu().numpy()
            if (s // chunk) % 40 == 0:
                print(f"embedding images: {s + len(x)}/{ds.count} ({time.time() - t0:.0f} s)", flush=True)
    tmp = f"{cache}.{os.getpid()}.tmp"  # atomic: two runs started side by side may both compute it
    with open(tmp, "wb") as f:
        np.save(f, out)
    os.replace(tmp, cache)
    return torch.from_numpy(out).to(device)


def drop_text(p, txt_emb, feats, mask):
    """Classifier-free guidance's dropout for the priors: with probability p a row's caption
    conditioning (text embedding, token features, mask) becomes zeros."""
    drop = torch.rand(txt_emb.shape[0], device=txt_emb.device) < p
    return (
        txt_emb.masked_fill(drop[:, None], 0.0),
        feats.masked_fill(drop[:, None, None], 0.0),
        mask.masked_fill(drop[:, None], 0.0),
    )


def text_features(clip, ids):
    """(normalized text embedding [B, D], token features [B, L, W], mask [B, L] with 1 for real tokens)."""
    with torch.no_grad():
        emb, feats = clip.text(ids)
    return emb, feats, (ids != 0).float()


def empty_caption(clip, tok, length=None, device=None):
    """The empty caption (start and end tokens only), as classifier-free guidance's unconditional input and the
    caption dropped in training: (ids [1, length], token features [1, length, W], mask [1, length]); length
    defaults to the tokenizer's context length."""
    ids = torch.zeros(1, length or tok.context_length, dtype=torch.int64, device=device)
    ids[0, 0], ids[0, 1] = tok.start, tok.end
    _, feats, mask = text_features(clip, ids)
    return ids, feats, mask


class Ema:
    def __init__(self, model, decay):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def update(self, model):
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if v.dtype.is_floating_point:
                    self.shadow[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)
                else:
                    self.shadow[k].copy_(v)


def grow_inputs(state, target):
    """Tensors of `state` that `target` has with more input channels (dim 1, all else equal), zero-padded
    to the new shape: a model that grew inputs (the inpainting decoder's masked image and mask) starts
    out computing exactly what the checkpoint computed. {name: grown tensor}."""
    out = {}
    for k, v in state.items():
        t = target.get(k)
        if t is None or t.shape == v.shape or v.dim() < 2 or t.dim() != v.dim():
            continue
        if t.shape[0] == v.shape[0] and t.shape[2:] == v.shape[2:] and t.shape[1] > v.shape[1]:
            pad = torch.zeros(t.shape[0], t.shape[1] - v.shape[1], *t.shape[2:], dtype=v.dtype, device=v.device)
            out[k] = torch.cat([v, pad], dim=1)
    return out


def fine_tune_record(start_from, ckpt_path, init, saved_args, step, current=None):
    """Where a run's fine-tune began, (init_step, init_from), or None (not a fine-tune, or nothing to change).
    A run started from another model's checkpoint (--init-from `init`) records where, so its card tells the
    fine-tune (steps, minutes) from what it inherited; `saved_args` are the checkpoint's, `step` its step."""
    prev = saved_args or {}
    saved = (prev["init_step"], prev.get("init_from", init)) if prev.get("init_step") is not None else None
    if start_from == ckpt_path:  # a resumed run keeps its record
        return saved
    if start_from == init:
        # continuing a fine-tune from its own kept weights (e.g. inpaint_decoder.pt): the record of what it was
        # fine-tuned from stays; otherwise the fine-tune starts here
        return saved or (step, init)
    # the committed checkpoint of a fine-tune: its record of where the fine-tune began stays (without it the
    # card's fineTuning would go on naming the previous kept run's steps)
    return saved if current is None else None


def train_loop(name, model, args, step_fn, extra_state=None):
    """Runs step_fn(step) -> loss until args.steps or args.minutes, with EMA,
    warm-up, checkpoints every args.ckpt_every steps and resume."""
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    device = torch.device(args.device)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    ema = Ema(model, args.ema)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    step, elapsed = 0, 0.0
    history = []
    kept_notes = {}  # what a checkpoint says of its making beyond the run history (task_vector.py's note)
    committed = os.path.join(TRAINING, "checkpoints", f"{name}.pt")
    init = getattr(args, "init_from", None)
    # a run that goes on across sessions commits its whole state once when a session stops (train/keep.py --resume)
    resume = os.path.join(TRAINING, "checkpoints", "resume", f"{name}.pt")
    if os.path.exists(ckpt_path):
        start_from = ckpt_path
    elif os.path.exists(resume) and not args.from_scratch and not init:
        start_from = resume
    else:
        start_from = init or (committed if os.path.exists(committed) and not args.from_scratch else None)
    if start_from:
        # A run's own checkpoint (or its committed resume state) resumes exactly; the committed weights (no
        # optimizer state) continue training in a new session or on a new machine with fresh Adam moments. A
        # checkpoint of a smaller model (the model grew a part) loads what matches; the new parts keep their init.
        ck = torch.load(start_from, map_location=device)
        ck["model"] = {k: v.float() if v.is_floating_point() else v for k, v in ck["model"].items()}
        ck["ema"] = {k: v.float() if v.is_floating_point() else v for k, v in ck["ema"].items()}
        if start_from == resume:
            print(f"{name}: resuming the committed run state {resume} exactly", flush=True)
            start_from = ckpt_path  # from here on it is this run's own checkpoint (its record, its groups)
        grown = grow_inputs(ck["model"], model.state_dict())
        if grown:
            ck["ema"] = {
                **ck["ema"],
                **{k: grow_inputs({k: ck["ema"][k]}, model.state_dict())[k] for k in grown if k in ck["ema"]},
            }
            ck["model"] = {**ck["model"], **{k: grown[k] for k in grown}}
            ck.pop("opt", None)  # Adam's moments have the old shapes
            print(
                f"{name}: {', '.join(grown)} grew input channels (zero-initialised: it computes what it did)",
                flush=True,
            )
        missing, unexpected = model.load_state_dict(ck["model"], strict=False)
        if unexpected:
            raise SystemExit(f"{start_from}: parameters this {name} does not have: {', '.join(unexpected[:5])}")
        if missing:
            print(
                f"{name}: {start_from} lacks {len(missing)} tensors "
                f"({', '.join(sorted({k.split('.')[0] for k in missing}))}): "
                "they start from their initialisation",
                flush=True,
            )
        # a part grown on trained weights (e.g. zero-initialised position embeddings) moves about lr a step under
        # Adam whatever its gradient: at a fine-tune's lr it would stay near zero for thousands of steps. Its tensors
        # (kept in the run's args, so a resumed run groups them again) may learn faster: --new-lr-mult
        mult = getattr(args, "new_lr_mult", 1.0)
        grouped = ck.get("args", {}).get("new_params") if start_from == ckpt_path else None  # a resumed grouped run
        new = set(missing) if missing and mult != 1.0 else set(grouped or [])
        if new:
            args.new_params = sorted(new)
            named = list(model.named_parameters())
            opt = torch.optim.AdamW(
                [
                    {"params": [p for n, p in named if n not in new]},
                    {"params": [p for n, p in named if n in new], "lr_mult": mult},
                ],
                lr=args.lr,
                weight_decay=0.0,
            )
            print(f"{name}: {len(new)} new tensors learn at {mult:g}x the learning rate", flush=True)
        if not missing and "opt" in ck:
            if len(ck["opt"]["param_groups"]) == len(opt.param_groups):
                opt.load_state_dict(ck["opt"])
                for g in opt.param_groups[1:]:
                    g["lr_mult"] = mult  # this run's --new-lr-mult, not the saved one
            else:  # e.g. --init-from another run's grouped checkpoint: its Adam moments are grouped otherwise
                print(
                    f"{name}: {start_from}'s optimizer state has other parameter groups: fresh Adam moments", flush=True
                )
        ema.shadow = {k: ck["ema"][k].to(device, v.dtype) if k in ck["ema"] else v for k, v in ema.shadow.items()}
        step, elapsed = ck["step"], ck["elapsed"]
        history = ck.get("history", [])
        kept_notes = {k: ck[k] for k in ("task_vector",) if k in ck}
        record = fine_tune_record(start_from, ckpt_path, init, ck.get("args"), step, getattr(args, "init_step", None))
        if record is not None:
            args.init_step, args.init_from = record
        print(f"{name}: resumed from {start_from} at step {step} ({elapsed / 60:.1f} min trained)", flush=True)
    run_start = {"from_step": step, "device": str(device), "hardware": hardware(device), "batch": args.batch}
    history = history + [run_start]

    def save():
        tmp = ckpt_path + ".tmp"
        run_start.update(to_step=step, minutes=round((elapsed - elapsed_at_start) / 60, 2))
        torch.save(
            {
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "ema": ema.shadow,
                "step": step,
                "elapsed": elapsed,
                "args": vars(args),
                "history": history,
                **kept_notes,
                **(extra_state or {}),
            },
            tmp,
        )
        os.replace(tmp, ckpt_path)

    elapsed_at_start = elapsed
    amp = bool(getattr(args, "amp", False))
    if amp:
        run_start["amp"] = "bfloat16"
    start = time.time()
    t_last = start
    losses = []
    first = step
    while step < args.steps and (args.minutes <= 0 or time.time() - start < args.minutes * 60):
        # warm-up from where this run started (a resumed run has fresh Adam moments), then an optional
        # cosine decay to lr * min_lr_ratio over args.decay_steps steps of this run
        lr = args.lr * min(1.0, (step - first + 1) / args.warmup)
        if args.decay_steps > 0 or (args.decay_steps < 0 and args.minutes > 0):
            # decay_steps -1: over the run's --minutes (a GPU run's step count is not known in advance)
            frac = min(
                1.0,
                (step - first) / args.decay_steps
                if args.decay_steps > 0
                else (time.time() - start) / (args.minutes * 60),
            )
            lr *= args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr * g.get("lr_mult", 1.0)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = step_fn(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model)
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        losses.append(loss.detach())  # no .item() per step: on a GPU that waits for the step to finish
        if step % 25 == 0:
            print(
                json.dumps(
                    {
                        "model": name,
                        "step": step,
                        "loss": round(torch.stack(losses).mean().item(), 5),
                        "lr": lr,
                        "min": round(elapsed / 60, 2),
                        "s_per_step": round((elapsed - elapsed_at_start) / max(1, step - first), 3),
                    }
                ),
                flush=True,
            )
            losses = []
        if step % args.ckpt_every == 0:
            save()
        if args.snapshot_every and step % args.snapshot_every == 0:
            torch.save(
                {
                    "model": model.state_dict(),
                    "ema": ema.shadow,
                    "step": step,
                    "elapsed": elapsed,
                    "args": vars(args),
                    "history": history,
                },
                os.path.join(args.out, f"snapshot-{step}.pt"),
            )
    save()
    print(f"{name}: stopped at step {step}, {elapsed / 60:.1f} min trained", flush=True)


def add_flags(p, rows):
    """Adds a table of flags to the argparse parser p, a row a flag: (name, type, default[, help[, {more
    add_argument keywords}]]). Type bool is a switch (store_true); type None keeps argparse's strings."""
    for name, kind, default, *rest in rows:
        help_text = rest[0] if rest else None
        more = rest[1] if len(rest) > 1 else {}
        how = {"action": "store_true"} if kind is bool else {"type": kind}
        p.add_argument(name, default=default, help=help_text, **how, **more)


# --device, as every trainer takes it
DEVICE_FLAG = (
    "--device",
    None,
    "cuda" if torch.cuda.is_available() else "cpu",
    "where to train (default: cuda when PyTorch sees a GPU)",
    {"choices": ["cpu", "cuda"]},
)


# --seed, --ckpt-every and --threads, as the trainers take them (train_loop's and train_clip.py)
RUN_FLAGS = [("--seed", int, 0), ("--ckpt-every", int, 100), ("--threads", int, 2)]


def trainer_parser(steps, lr, batch):
    """The command line every train_loop trainer starts from: an ArgumentParser with the data, the run's length and
    learning rate (these defaults), checkpoints, EMA, threads and device; the trainer adds its own flags."""
    p = argparse.ArgumentParser()
    add_flags(
        p,
        [
            ("--data", None, os.path.join(TRAINING, "data", "train.bin")),
            ("--clip", None, os.path.join(TRAINING, "checkpoints", "clip.pt")),
            ("--out", None, None, None, {"required": True}),
            ("--steps", int, steps),
            ("--minutes", float, 0, "stop (with a checkpoint) after this long; 0 = no limit"),
            ("--batch", int, batch),
            ("--lr", float, lr),
            ("--warmup", int, 200),
            (
                "--decay-steps",
                int,
                0,
                "cosine learning-rate decay over this many steps of the run; 0 = constant; -1 = over the run's "
                "--minutes",
            ),
            (
                "--amp",
                bool,
                False,
                "bfloat16 autocast for the forward pass and loss (weights, Adam and EMA stay float32)",
            ),
            ("--min-lr-ratio", float, 0.05),
            ("--snapshot-every", int, 0, "also keep model+EMA snapshots every N steps (for evaluation during a run)"),
            ("--ema", float, 0.999),
            *RUN_FLAGS,
            (
                "--from-scratch",
                bool,
                False,
                "start from random weights, not from the committed training/checkpoints/<model>.pt",
            ),
            (
                "--new-lr-mult",
                float,
                1.0,
                "learning-rate multiplier for tensors the starting checkpoint lacks (a grown part), this run only",
            ),
            DEVICE_FLAG,
        ],
    )
    return p


def loop_flags(steps, batch, lr):
    """add_flags rows of a training loop's length, batch and learning rate (--steps, --batch, --lr), for the loops
    that are not train_loop's (train_clip.py, probe_conditioning.py's proxy)."""
    return [("--steps", int, steps), ("--batch", int, batch), ("--lr", float, lr)]


# --p-two: the share of each batch drawn from two-object scenes (the decoder's and DALL·E's trainers)
P_TWO_FLAG = ("--p-two", float, None, "share of each batch drawn from two-object scenes (default: the dataset's 30%%)")


def seeded_device(args):
    """A trainer's start once its arguments are read: torch seeded with --seed, and the --device (pick_device)."""
    torch.manual_seed(args.seed)
    return pick_device(args.device)


def clip_and_embeddings(args, device, seed):
    """The frozen mini-CLIP (--clip), Batches of --data (drawn with numpy seed `seed`) and every picture's CLIP image
    embedding: what the trainers conditioned on CLIP start from. (clip, batches, embeds)."""
    clip = load_clip(args.clip, device)
    batches = Batches(args.data, seed, device)
    return clip, batches, image_embeddings(clip, batches.ds, args.clip, device=device)


def print_size(model, name, *notes):
    """Prints "<name>: <N> parameters[, note, ...]" as a trainer starts."""
    print(", ".join([f"{name}: {sum(q.numel() for q in model.parameters())} parameters", *notes]), flush=True)


def hardware(device):
    """A line for the model card: what trained this run."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, PyTorch {torch.__version__}"
    return f"{os.cpu_count()}-core CPU, PyTorch {torch.__version__}"
