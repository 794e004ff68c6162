"""Carries a fine-tune over to a newer base: onto + scale * (tuned - base), weight by weight ("task arithmetic").

  python3 -m training.train.task_vector --base old_decoder.pt --tuned inpaint_decoder.pt \
      --onto training/checkpoints/decoder.pt --out runs/inpaint-moved.pt [--scale 1]

A carried checkpoint carries on: --tuned the carried one, --base the decoder it was carried onto, --scale 1 (the
change it holds is already scaled) gives the same weights as carrying the first fine-tune straight onto --onto, and
the card's note names the first fine-tune and the product of the scales.

The inpainting decoder is the decoder fine-tuned with grown input channels. When the decoder itself moves on
(more training on relations, say), the inpainting decoder would have to be grown and fine-tuned again; instead its
change from the decoder it started from (`--base`, the same checkpoint its run was `--init-from`) is added to the
newer decoder (`--onto`, which started from that same base). Tensors the fine-tune grew (the first convolution's
input channels) take the newer decoder's values on the channels it has and the fine-tune's own on the grown ones,
as they are (not times --scale: they are what reads the mask, and the bundled x2 model was measured so).
Both `model` and `ema` weights are carried (each from its own kind); the result is a checkpoint that
export_unclip.py and train_decoder.py --init-from take, with the fine-tune's arguments; its steps, minutes and run
history are the newer base's followed by the fine-tune's own runs (renumbered), so a model card counts both.
"""
import argparse

import torch


def carry(base: dict, tuned: dict, onto: dict, scale: float = 1.0) -> dict:
    """onto + scale * (tuned - base) for every tensor of `tuned`; grown tensors keep their grown slices."""
    out = {}
    for name, t in tuned.items():
        if name not in base or name not in onto:
            raise SystemExit(
                f"task_vector: {name} is in the fine-tune but not in "
                f"{'--base' if name not in base else '--onto'}: the three must share an architecture"
            )
        b, o = base[name], onto[name]
        if b.shape != o.shape:
            raise SystemExit(f"task_vector: {name} is {tuple(b.shape)} in --base but {tuple(o.shape)} in --onto")
        if not t.is_floating_point():
            out[name] = o.clone()
            continue
        merged = t.float().clone()  # a grown tensor's grown slices stay the fine-tune's own
        shared = merged
        if t.shape != b.shape:
            grown = [i for i, (x, y) in enumerate(zip(t.shape, b.shape)) if x != y]
            if len(t.shape) != len(b.shape) or len(grown) != 1 or t.shape[grown[0]] < b.shape[grown[0]]:
                raise SystemExit(
                    f"task_vector: {name} is {tuple(t.shape)} in the fine-tune and {tuple(b.shape)} in "
                    "--base: only one dimension may have grown"
                )
            shared = merged.narrow(grown[0], 0, b.shape[grown[0]])
        shared.copy_(o.float() + scale * (shared - b.float()))
        out[name] = merged
    missing = [k for k in onto if k not in tuned]
    if missing:
        raise SystemExit(f"task_vector: --onto has tensors the fine-tune lacks: {', '.join(missing[:5])}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="the checkpoint the fine-tune started from")
    p.add_argument("--tuned", required=True, help="the fine-tuned checkpoint (e.g. the inpainting decoder)")
    p.add_argument("--onto", required=True, help="a newer checkpoint that also started from --base")
    p.add_argument("--out", required=True)
    p.add_argument("--scale", type=float, default=1.0, help="how much of the fine-tune's change to add")
    args = p.parse_args()
    base, tuned, onto = (torch.load(f, map_location="cpu") for f in (args.base, args.tuned, args.onto))
    before = tuned.get("task_vector")  # --tuned is itself a carry
    untrained = before and tuned["step"] - before["onto_step"] == before["tuned_step"] - before["base_step"]
    if untrained and before["onto_step"] != base["step"]:
        raise SystemExit(
            f"task_vector: {args.tuned} was carried onto a decoder at step {before['onto_step']}; --base must "
            f"be that decoder (it is at step {base['step']}), or the difference between the two decoders "
            "would be added too"
        )
    out = {k: v for k, v in tuned.items() if k != "opt"}
    for key in ("model", "ema"):
        out[key] = carry(base[key], tuned[key], onto[key], args.scale)
    # The weights hold the newer base's training and the fine-tune's own: its runs (from --base's step on) are
    # renumbered to follow the newer base's, so the card counts both and its fineTuning names the carried part.
    shift = onto["step"] - base["step"]
    start = before["base_step"] if untrained else base["step"]  # where the fine-tune itself began
    own = [
        dict(
            r,
            from_step=r["from_step"] + shift,
            to_step=r.get("to_step", r["from_step"]) + shift,
            carried=f"task vector: fine-tuned from step {start}, carried onto step {onto['step']}",
        )
        for r in tuned.get("history", [])
        if r["from_step"] >= base["step"]
    ]
    out["step"] = onto["step"] + tuned["step"] - base["step"]
    out["elapsed"] = onto.get("elapsed", 0.0) + tuned.get("elapsed", 0.0) - base.get("elapsed", 0.0)
    out["history"] = list(onto.get("history", [])) + own
    out["args"] = dict(tuned.get("args", {}), init_step=onto["step"], init_from=args.onto)
    out["task_vector"] = {
        "scale": args.scale,
        "base_step": base["step"],
        "tuned_step": tuned["step"],
        "onto_step": onto["step"],
    }
    if untrained:
        # carried again (--tuned an earlier carry, untrained since, --base the decoder it was carried onto): the
        # change added is still the first fine-tune's, times both scales
        out["task_vector"] = dict(before, scale=before["scale"] * args.scale, onto_step=onto["step"])
    torch.save(out, args.out)
    print(
        f"task_vector: {args.tuned} - {args.base} (x{args.scale}) carried onto {args.onto} "
        f"(step {onto['step']}) -> {args.out}"
    )


if __name__ == "__main__":
    main()
