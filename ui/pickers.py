"""Controls pages share, written once: the dataset picker and the encoder picker.

Every page that trains on images offers the built-in datasets (marked when they need a download) and a
``folder:…`` entry that asks for a path; a lesson's link presets the choice with ``?<preset>=name``.
"""

from __future__ import annotations

import streamlit as st

from replearn_core.data import DATASETS
from replearn_core.escape import markdown_text
from ui.i18n import t
from ui.presets import preset_index

FOLDER = "folder:…"  # the entry that asks for a path to a class-per-folder image tree


def dataset_picker(label: str, default: str, help_text: str, preset_name: str = "dataset",
                   names: list[str] | None = None, folder_label: str | None = None,
                   folder_help: str | None = None) -> str:
    """A dataset select box (``names``: the built-in datasets by default) with a ``folder:…`` entry; returns
    the dataset spec, ``folder:PATH`` for a folder. ``?<preset_name>=`` in the URL preselects an entry."""
    names = list(DATASETS) if names is None else list(names)
    choices = names + [FOLDER]

    def shown(name: str) -> str:
        spec = DATASETS.get(name)
        return name if spec is None or spec.offline else f"{name}{t('lab.download_suffix')}"

    choice = st.selectbox(label, choices, index=preset_index(preset_name, choices, names.index(default)),
                          format_func=shown, help=help_text)
    if choice == FOLDER:
        return "folder:" + st.text_input(folder_label or t("common.folder_path"),
                                         help=folder_help or t("common.folder_help"))
    return choice


def encoder_picker(store, user) -> tuple[str, str, bool]:
    """Where a transfer starts: a run this user may see, random weights, ImageNet weights or an uploaded
    checkpoint (saved as the user's own and checked against the architecture, with a clear error when it does
    not fit); ``?encoder=`` presets it. Returns (encoder spec, backbone, whether it can be used now)."""
    from replearn_core.backbones import BACKBONES
    from replearn_core.checkpoints import CheckpointError
    from replearn_core.transfer.lab import encoder_choices
    from replearn_core.uploads import upload_checkpoint
    from ui.i18n import error_t
    from ui.presets import preset
    from ui.uploads import my_uploads

    choices = encoder_choices(store, user)  # the runs this user may see
    # a run's label names the run; the fixed sources are translated (texts made now, not in the format function)
    labels = {spec: t(f"transfer.encoder.{spec}") if spec in ("random", "imagenet", "upload") else label
              for spec, label in choices.items()}
    encoder = st.selectbox(t("transfer.start_from"), list(choices), format_func=labels.get,
                           index=list(choices).index(preset("encoder", next(iter(choices)),
                                                            choices=choices.__contains__)),
                           help=t("transfer.start_from_help"))
    backbone = st.selectbox(t("transfer.architecture"), list(BACKBONES), help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()) + "\n\n" + t("transfer.architecture_help"),
        disabled=encoder not in ("random", "upload"))
    if encoder == "imagenet":
        st.info(t("transfer.imagenet_note"))
    if encoder != "upload":
        return encoder, backbone, True
    upload = st.file_uploader(t("transfer.checkpoint_file"), type=["safetensors", "pt", "pth", "bin", "ckpt"],
                              help=t("transfer.checkpoint_file_help"))
    usable = False
    if upload is not None:
        try:  # kept only once it is measured and loads into the architecture; a refused file is never kept
            encoder = upload_checkpoint(store, user, upload.name, upload.getvalue(), backbone)
            st.success(t("transfer.upload_fits", name=markdown_text(upload.name), backbone=backbone))
            usable = True
        except (CheckpointError, ValueError, PermissionError) as exc:
            st.error(error_t(exc))
    my_uploads(store, user)  # after the upload, so the list and the quota's use include it
    return encoder, backbone, usable
