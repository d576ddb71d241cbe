"""The "About" tab: the papers behind each tab, a class plan, and what each shipped model saw."""
from __future__ import annotations

import gradio as gr

import gan_core
from gan_core.core.checkpoints import CARD_FILE, read_json
from gan_core.core.errors import CheckpointError
from gan_core.core.hub import find_checkpoint

from .common import error_text, without_folders

PAPERS = """\
### The papers behind the tabs

| tab | paper | what to look for |
|---|---|---|
| Generate | Radford, Metz & Chintala, *Unsupervised Representation Learning with Deep Convolutional GANs* (DCGAN), ICLR 2016 | transposed convolutions, BatchNorm, ReLU/Tanh in G and LeakyReLU in D; a seed names a sample |
| Generate (`keras-gan32`) | Chollet, *Deep Learning with Python*, section 8.5 | a small GAN with RMSprop, gradient clipping and noisy labels |
| Explore: walk, turn, arithmetic | DCGAN paper, section 6: "walking in the latent space" and "vector arithmetic on face samples" | smooth walks mean no memorisation; turn = mean(left) - mean(right); smiling woman - neutral woman + neutral man |
| Explore: attribute sliders | Shen, Gu, Tang & Zhou, *Interpreting the Latent Space of GANs for Semantic Face Editing* (InterFaceGAN), CVPR 2020 | a classifier's labels on samples give a direction in z |
| Explore: your photo | Zhu, Krähenbühl, Shechtman & Efros, *Generative Visual Manipulation on the Natural Image Manifold*, ECCV 2016 | inverting a generator by optimising z |
| Forget | DCGAN paper, section 6.1: "forgetting to draw certain objects" | a logistic regression on one layer's maps finds the units of a concept; zeroing them removes it |
| Train | DCGAN paper and the Keras book | D(x) and D(G(z)) near 0.5 is a balanced game, not a failure; the fixed-noise grid shows progress |
| Upscale | Ledig et al., *Photo-Realistic Single Image Super-Resolution Using a GAN* (SRGAN), CVPR 2017 | pixel loss gives the sharpest average (high PSNR); the adversarial loss invents texture |
| Style | the Siamese GAN for high-resolution style transfer, after Amodio & Krishnaswamy, *TraVeLGAN*, CVPR 2019 | the combo: four tiles translated apart and judged together, so tiles meet without seams |
| Learn | DCGAN paper, section 5.1 | a linear classifier on the discriminator's features: what adversarial training taught it |
"""

# Each step's view, as a link relative to the page (it keeps a proxy's or a Space's path):
# the query fields are demo.view_state.ExploreView's; "./" is the page as it opens (Generate).
FACES = "model=faces-dcgan64"
CLASS_PLAN = f"""\
### A 45-minute class

Each step's view is a link: open it, or paste it into the class notes (it opens the same view on
this server).

1. **What a generator makes (5 min).** *Generate* ([open](./)): `faces-dcgan64`, seed 0, 36 images.
   Change the seed; come back to 0: the same faces. Ask: where does the variety come from? (100
   random numbers, z.) Open the model card: 14,691 faces, 21 epochs, two hours on a 2-core CPU.
2. **Is it memorising? (10 min).** *Explore → Latent walk* ([slerp](?tab=walk&{FACES}&walk=0,1,2&method=slerp&walk_t=0.5),
   [lerp](?tab=walk&{FACES}&walk=0,1,2&method=lerp&walk_t=0.5)): waypoints `0, 1, 2`, drag t. A smooth
   change of face, with no jumps, is the paper's argument that the model learned a space, not a
   list. Compare lerp and slerp at t = 0.5 (slerp keeps the contrast). Make a GIF; share it.
3. **Directions mean something (10 min).** *Turn vector* ([the shipped picks](?tab=turn&{FACES}&subject=42&turn_from=picks&turn_t=1)):
   subject 42, t from -1 to +1. Then pick your own four and four in the gallery and see how a bad
   pick (all men on one side) turns the sex instead of the head. Switch to *Measured*
   ([open](?tab=turn&{FACES}&subject=42&turn_from=pose&turn_t=1)): no picks needed; a face and its
   mirror image have opposite turns, and that alone finds the direction.
4. **Arithmetic (10 min).** *Face arithmetic*: the two presets
   ([smiling](?tab=arithmetic&{FACES}),
   [smiling man to smiling woman](?tab=arithmetic&{FACES}&preset=smiling%20man%20-%20neutral%20man%20%2B%20neutral%20woman&a=46,96,22&b=27,53,100&c=2,42,76)).
   Why three exemplars per term? Replace A by a single face
   ([open](?tab=arithmetic&{FACES}&a=5)) and compare. The eight neighbours show the answer is a region.
5. **Labels make sliders (5 min).** *Attribute sliders*: Smiling
   ([open](?tab=attributes&{FACES}&subject=42&attribute=Smiling&attribute_t=1)) and age
   ([open](?tab=attributes&{FACES}&subject=42&attribute=age&attribute_t=1)) on subject 42. The
   table compares how far each direction moves the classifier's score with a random direction.
   Then try Blond_Hair ([open](?tab=attributes&{FACES}&subject=42&attribute=Blond_Hair&attribute_t=1)):
   it mostly lightens the whole picture. Why? (A few hundred labels, and blond hair comes with
   light photos in the data: directions learn what goes together.)
6. **Your own face (5 min).** *Your photo* ([open](?tab=photo&{FACES})): a cropped face photo; see how
   far the reconstruction is from it (the model knows only 64x64 faces like its training set), then turn it.
"""


def _data_description(data: dict) -> str:
    """What a card says its data was, in words: never the folders it was read from
    (`../shared/data/style/photos` shows as `photos`)."""
    if data.get("description"):
        return without_folders(data["description"])
    if data.get("dataset"):
        return without_folders(data["dataset"])
    parts = [f"{k}: {without_folders(v['description'])}" for k, v in data.items()
             if isinstance(v, dict) and v.get("description")]
    return "; ".join(parts) or "data not recorded"


def shipped_models_markdown() -> str:
    """One section per checkpoint (generators, upscalers, style models, detectors, classifiers): data,
    licence and citations from its model card."""
    names = gan_core.list_checkpoints(task=None)
    if not names:
        return "### Shipped models\n\nNone yet."
    parts = ["### Shipped models: data and licences"]
    for name in names:
        try:
            folder = find_checkpoint(name)
            card = read_json(folder / CARD_FILE)
            if not isinstance(card, dict):
                raise CheckpointError("not a JSON object")
        except (CheckpointError, TypeError) as exc:
            parts.append(f"**{name}**: its card could not be read ({error_text(exc)}).")
            continue
        data = card.get("data") if isinstance(card.get("data"), dict) else {}
        training = card.get("training") if isinstance(card.get("training"), dict) else {}
        kind = card.get("task", "gan")
        label = ", ".join(([f"`{card['model']}`"] if card.get("model") else []) + ([kind] if kind != "gan" else []))
        lines = [f"**{name}** ({label}): {_data_description(data)}."]
        licence = data.get("licence") or data.get("note")
        if not licence and data.get("dataset") and data.get("description"):
            lines.append(f"- Data: {without_folders(data['dataset'])}.")
        if licence:
            lines.append(f"- Licence of the data: {without_folders(licence)}; the weights inherit it.")
        for citation in data.get("citations") or []:
            lines.append(f"- {without_folders(citation)}")
        if training.get("hardware"):
            lines.append(f"- Trained for {training.get('steps', '?')} steps on {without_folders(training['hardware'])}.")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def build_about_tab() -> None:
    with gr.Tab("About", id="about"):
        gr.Markdown(PAPERS)
        gr.Markdown(CLASS_PLAN)
        gr.Markdown(shipped_models_markdown(), elem_id="about-models")
