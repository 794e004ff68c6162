"""Trains the mini-unCLIP decoder (32x32) on ShapesWorld with the frozen mini-CLIP.

  python3 -m training.train.train_decoder --out training/runs/decoder --minutes 60 [--device cuda]

v-prediction, cosine schedule, EMA. As in unCLIP, the CLIP image embedding is zeroed
(--p-drop-image) and the caption dropped (replaced by the empty caption, --p-drop-text) at
random, so classifier-free guidance and text-only (GLIDE-style) decoding both work.
--caption-layers N adds a caption transformer trained jointly with the decoder (GLIDE).
--inpaint trains GLIDE's inpainting decoder (checkpoint name inpaint_decoder): four more input
channels, the picture with a region erased and the mask (training/world/inpaint_masks.py), grown from a
decoder's weights with the new channels zero-initialised:

  python3 -m training.train.train_decoder --inpaint --init-from training/checkpoints/decoder.pt \
      --out training/runs/inpaint
"""
import json

import torch
import torch.nn.functional as F

from training.models.decoder_model import decoder_from_args
from training.world.ghosts import ghost_batch, ghost_target
from training.world.inpaint_masks import KINDS, WEIGHTS, masks_32
from training.models.diffusion import T_STEPS, alphas_cumprod
from training.train.common import (
    P_TWO_FLAG,
    VOCAB,
    add_flags,
    clip_and_embeddings,
    empty_caption,
    print_size,
    seeded_device,
    text_features,
    train_loop,
    trainer_parser,
)


def draw_t(b, t_min=0, share=1.0, device="cpu"):
    """[b] timesteps: a share of them uniform on [t_min, T), the rest on [0, T)."""
    t = torch.randint(t_min, T_STEPS, (b,), device=device)
    if share < 1:
        t = torch.where(torch.rand(b, device=device) < share, t, torch.randint(0, T_STEPS, (b,), device=device))
    return t


def main():
    p = trainer_parser(steps=20000, lr=1e-3, batch=48)
    add_flags(
        p,
        [
            ("--p-drop-image", float, 0.1),
            ("--p-drop-text", float, 0.5),
            P_TWO_FLAG,
            (
                "--p-relation",
                float,
                0.0,
                "for a two-object scene with a relation caption ('left of', 'above', ...), use one with this "
                "probability instead of a random caption of the picture (about half of them say only 'and')",
            ),
            (
                "--relation-background",
                bool,
                False,
                "--p-relation: prefer relation captions that also name the background (the proxy in "
                "training/probes/probe_conditioning.py learns relations only where the background is known)",
            ),
            (
                "--t-min",
                int,
                0,
                "train on timesteps t >= this only (default all): the layout, and so the relation, is chosen at "
                "high noise",
            ),
            (
                "--t-min-share",
                float,
                1.0,
                "--t-min: the share of each batch drawn at t >= --t-min; the rest from all timesteps (default 1: all "
                "of it), so a fine-tune can weight the high-noise steps without leaving the others untrained",
            ),
            (
                "--snr-cap",
                float,
                0.0,
                "loss weight min(SNR + 1, cap) / (SNR + 1) on the v-loss: low-noise steps, already easy, count less "
                "(0 = off)",
            ),
            (
                "--object-weight",
                float,
                5.0,
                "loss weight of pixels on and around the objects (those differing from the background, dilated by 1 "
                "px); shapes are a few percent of the pixels, and with weight 1 the decoder learned colour, place and "
                "size long before contours",
            ),
            (
                "--object-weight-ramp",
                bool,
                False,
                "scale the object weight by alpha-bar(t): 1 at pure noise, --object-weight at none. A constant weight "
                "counts a missed object 5x and a spurious one 1x, so where the layout is still open (high noise) the "
                "loss-optimal prediction leans towards 'an object here' everywhere: extra copies of named objects",
            ),
            (
                "--self-attention-16",
                bool,
                False,
                "self-attention at 16x16 too (the first 2,859 steps had it; without it a step is ~40%% cheaper)",
            ),
            (
                "--caption-layers",
                int,
                0,
                "layers of a caption transformer trained with the decoder (0 = only the frozen mini-CLIP token "
                "features)",
            ),
            (
                "--position-embeddings",
                bool,
                False,
                "learned 2D position embeddings in every attention layer (zero-initialised): the caption features "
                "carry which colour is left of which (training/probes/probe_caption_binding.py: 95%% by a linear "
                "probe), the U-Net's attention cannot tell left from right",
            ),
            ("--channels", int, None, "U-Net widths at 32/16/8 px (default 32 64 96)", {"nargs": 3}),
            (
                "--init-from",
                None,
                None,
                "start a new run from this checkpoint (e.g. the committed decoder, before it grew a caption encoder)",
            ),
            (
                "--inpaint",
                bool,
                False,
                "train the inpainting decoder (4 extra input channels: the masked picture and the mask)",
            ),
            (
                "--known-weight",
                float,
                0.25,
                "--inpaint: loss weight of the pixels outside the mask (given to the model; the product composites "
                "them back)",
            ),
            (
                "--mask-mix",
                float,
                WEIGHTS.tolist(),
                "--inpaint: how often each kind of mask is drawn (" + ", ".join(KINDS) + "; normalised)",
                {"nargs": len(KINDS), "metavar": "W"},
            ),
            (
                "--mask-grow",
                int,
                0,
                "--inpaint: widen cell and box masks by 0 to this many px (of 64), as the graphs' mask/grow does",
            ),
            (
                "--ghost",
                float,
                0.0,
                "share of the captioned pictures (caption or image embedding kept) given a ghost: one of its objects "
                "copied faintly into a free cell, the target still the clean picture (training/world/ghosts.py): "
                "against extra copies. With --inpaint the ghost lies in the masked region: the kept object on the "
                "erased one's cell, or an object in a masked empty cell (ghosts.inpaint_ghost_placement)",
            ),
            (
                "--ghost-alpha",
                float,
                [0.2, 0.9],
                "--ghost: the copy's share of the object's contrast, uniform on [LO, HI]",
                {"nargs": 2, "metavar": ("LO", "HI")},
            ),
            (
                "--ghost-t-min",
                int,
                300,
                "--ghost: ghosted pictures are noised at t >= this (where the layout is chosen)",
            ),
        ],
    )
    args = p.parse_args()
    if not 0 <= args.ghost <= 1 or not 0 < args.ghost_alpha[0] <= args.ghost_alpha[1] <= 1:
        p.error("--ghost: a share in [0, 1]; --ghost-alpha: 0 < LO <= HI <= 1")
    if any(w < 0 for w in args.mask_mix) or sum(args.mask_mix) <= 0:
        p.error("--mask-mix: weights >= 0, not all zero")
    if not 0 <= args.t_min_share <= 1:
        p.error("--t-min-share: a share in [0, 1]")
    if args.relation_background and args.p_relation <= 0:
        p.error("--relation-background chooses among relation captions: give --p-relation too")
    device = seeded_device(args)
    clip, batches, embeds = clip_and_embeddings(args, device, args.seed)
    with open(VOCAB) as f:
        model = decoder_from_args(vars(args), len(json.load(f)))
    abar = alphas_cumprod().to(device)
    empty, empty_feats, empty_mask = empty_caption(clip, batches.tok, device=device)
    print_size(model, "decoder", f"training on {device}")

    first_batch = True  # train_decoder says how many pictures of its first batch got a ghost
    ghost_options = {}  # dataset index -> where a ghost of that scene may go (ghosts.placement_options)

    def step_fn(step):
        nonlocal first_batch
        idx, x64, ids = batches.sample(args.batch, args.p_two)
        if args.p_relation > 0:
            ids = batches.prefer_relations(idx, ids, args.p_relation, args.relation_background)
        rows = torch.from_numpy(idx).to(device)
        img_emb = embeds[rows]
        _, feats, mask = text_features(clip, ids)
        x0 = F.avg_pool2d(x64, 2)
        b = x0.shape[0]
        drop_img = torch.rand(b, device=device) < args.p_drop_image
        img_emb = img_emb.masked_fill(drop_img[:, None], 0.0)
        drop_txt = torch.rand(b, device=device) < args.p_drop_text
        feats = torch.where(drop_txt[:, None, None], empty_feats.expand(b, -1, -1), feats)
        mask = torch.where(drop_txt[:, None], empty_mask.expand(b, -1), mask)
        ids = torch.where(drop_txt[:, None], empty.expand(b, -1), ids)
        t = draw_t(b, args.t_min, args.t_min_share, device)
        scenes = [batches.ds.scenes[i] for i in idx]
        if args.inpaint:
            m, details = masks_32(scenes, batches.rng, args.mask_mix, args.mask_grow, details=True)
            m = torch.from_numpy(m).to(device)
        x_src = x0  # what is noised: x0, or x0 with a ghost
        if args.ghost > 0:
            use = (~(drop_txt & drop_img)).cpu().numpy() & (batches.rng.random(b) < args.ghost)
            masked = details if args.inpaint else None  # the inpainting decoder's ghosts lie in its masks
            x64g, got = ghost_batch(
                x64, scenes, use, batches.rng, args.ghost_alpha, keys=idx, cache=ghost_options, details=masked
            )
            got = torch.from_numpy(got).to(device)
            if got.any():
                x_src = F.avg_pool2d(x64g, 2)
                t = torch.where(got, torch.randint(args.ghost_t_min, T_STEPS, (b,), device=device), t)
            if first_batch:
                lowest = f", noised at t >= {int(t[got].min())}" if got.any() else ""
                print(
                    f"decoder: ghost copies in {int(got.sum())} of {b} pictures of the first batch{lowest}", flush=True
                )
        first_batch = False
        a = abar[t][:, None, None, None]
        noise = torch.randn_like(x0)
        x_t = a.sqrt() * x_src + (1 - a).sqrt() * noise
        v = a.sqrt() * noise - (1 - a).sqrt() * x0
        if x_src is not x0:
            v = ghost_target(v, x0, x_src, a)  # the clean picture's x0 from the ghosted x_t
        known = None
        if args.inpaint:
            known = torch.cat([x0 * (1 - m), m], dim=1)
        pred = model(x_t, t.float(), img_emb, feats, mask, ids, known)
        err = (pred - v) ** 2
        if args.inpaint:
            err = err * (m + args.known_weight * (1 - m))
        if args.object_weight != 1:
            background = batches.background[rows][:, :, None, None]
            on_object = (
                torch.maximum((x0 - background).abs(), (x_src - background).abs()).amax(dim=1, keepdim=True) > 0.05
            ).float()
            on_object = F.max_pool2d(on_object, 3, stride=1, padding=1)
            extra = args.object_weight - 1
            if args.object_weight_ramp:
                extra = extra * a  # a = alpha-bar(t) [b, 1, 1, 1]
            err = err * (1 + extra * on_object)
        per = err.mean(dim=(1, 2, 3))
        if args.snr_cap > 0:
            # ||v - v'||^2 = (SNR + 1) ||x0 - x0'||^2; capping the x0-loss weight at snr_cap is Min-SNR
            # weighting (Hang et al. 2023) in its v-prediction form that keeps the high-noise steps whole
            snr1 = 1.0 / (1.0 - abar[t])
            per = per * snr1.clamp(max=args.snr_cap) / snr1
        return per.mean()

    train_loop("inpaint_decoder" if args.inpaint else "decoder", model, args, step_fn)


if __name__ == "__main__":
    main()
