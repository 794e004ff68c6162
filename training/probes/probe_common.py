"""What the decoder probes share (probe_ghosts.py, probe_decoder_captions.py, probe_layout.py): their common
arguments (the checkpoints to read, the probe set, how many rows, the seed, threads, EMA or raw weights) and the
frozen pieces they load (dataset, tokenizer, mini-CLIP, noise schedule)."""
import os
from types import SimpleNamespace

import torch

from training.world.shapesworld import ShapesWorldDataset, WordTokenizer
from training.models.diffusion import alphas_cumprod
from training.train.common import TRAINING, VOCAB, load_clip


def probe_args(p, count, data=True):
    """Adds the probes' shared arguments to parser `p` (`--data` only when the probe reads a dataset)."""
    p.add_argument("checkpoints", nargs="*", default=[os.path.join(TRAINING, "checkpoints", "decoder.pt")])
    if data:
        p.add_argument("--data", default=os.path.join(TRAINING, "data", "probe.bin"))
    p.add_argument("--count", type=int, default=count)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--weights", default="ema", choices=["ema", "model"], help="a checkpoint's EMA or raw weights")
    return p


def probe_setup(args):
    """Sets the thread count and loads what every probe reads: ds (None without --data), tok, clip, abar."""
    torch.set_num_threads(args.threads)
    data = getattr(args, "data", None)
    return SimpleNamespace(
        ds=ShapesWorldDataset(data) if data else None,
        tok=WordTokenizer(VOCAB),
        clip=load_clip(os.path.join(TRAINING, "checkpoints", "clip.pt")),
        abar=alphas_cumprod(),
    )
