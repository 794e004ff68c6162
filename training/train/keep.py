"""Keeps a run's checkpoint in training/checkpoints/, by the repository's checkpoint policy:

  python3 -m training.train.keep training/runs/decoder/ckpt.pt training/checkpoints/decoder.pt [--weights ema|model]
      a finished (bundled) model: its weights only, float16, one set (EMA by default; `model` where the export uses
      the raw weights). Stored under both "model" and "ema" as the same tensors (saved once): training and export
      read either key and load them back into float32. No optimizer state.
  python3 -m training.train.keep --resume training/runs/upsampler256/ckpt.pt upsampler256
      a run that goes on in a later session: its whole state (weights, EMA, Adam's moments) to
      training/checkpoints/resume/<name>.pt, committed once when a session's work stops, not at every step;
      `train_loop` resumes from it exactly. Keeping the finished weights (the first form, with --finish NAME)
      deletes it.

--half is accepted for older commands (weights are always float16 now).
"""
import argparse
import os

import torch

from training.paths import CHECKPOINTS

RESUME = os.path.join(CHECKPOINTS, "resume")


def weights_only(ck, which="ema"):
    """The checkpoint's `which` weights as float16, under both keys (one storage), with its record."""
    w = {k: v.half() if v.is_floating_point() else v for k, v in ck[which].items()}
    kept = {k: v for k, v in ck.items() if k not in ("opt", "model", "ema")}
    return {**kept, "model": w, "ema": w, "weights": f"{which}, float16"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("dst", help="the kept file (or, with --resume, the run's name)")
    p.add_argument("--weights", choices=["ema", "model"], default="ema")
    p.add_argument("--resume", action="store_true", help="keep the whole state of a run that goes on later")
    p.add_argument("--finish", help="the run's name: delete its committed resume state (the run is done)")
    p.add_argument("--half", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    ck = torch.load(args.src, map_location="cpu")
    if args.resume:
        os.makedirs(RESUME, exist_ok=True)
        dst = os.path.join(RESUME, f"{args.dst}.pt")
        torch.save(ck, dst)
        print(f"kept the resume state of step {ck['step']} ({ck['elapsed'] / 60:.1f} min) in {dst}")
        return
    torch.save(weights_only(ck, args.weights), args.dst)
    print(f"kept step {ck['step']} ({ck['elapsed'] / 60:.1f} min) in {args.dst} ({args.weights} weights, float16)")
    if args.finish and os.path.exists(os.path.join(RESUME, f"{args.finish}.pt")):
        os.remove(os.path.join(RESUME, f"{args.finish}.pt"))
        print(f"removed {os.path.join(RESUME, args.finish + '.pt')}: the run is finished")


if __name__ == "__main__":
    main()
