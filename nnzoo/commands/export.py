"""Export a trained model (a run folder, a tuner folder or a .keras file) as a SavedModel that TF
Serving loads: OUT/NAME/VERSION/ with a serving_default signature taking raw inputs and returning
named outputs (probabilities and class, or value). A version is written to a temporary folder and
renamed into place only when complete; an existing version is never overwritten."""

from pathlib import Path

HELP = "export a trained model as a TF Serving SavedModel"


def add_arguments(parser):
    parser.add_argument("source", type=Path, help="a run folder, a tuner folder or a .keras file")
    parser.add_argument("--variant", help="which model of the folder (its .keras file name without suffix)")
    parser.add_argument("--name", help="model name in the serving layout (default RECIPE_VARIANT)")
    parser.add_argument("--version", type=int, help="positive integer (default: the next free one)")
    parser.add_argument("--out", type=Path, default=Path("saved_models"), help="model base folder (default saved_models)")
    parser.add_argument("--fold-bn", action="store_true", help="fold batch normalization into the preceding Dense first")
    parser.add_argument("--format", choices=("savedmodel", "tflite"), default="savedmodel",
                        help="tflite also converts to TensorFlow Lite and checks it against Keras (1e-4)")


def main(args):
    from nnzoo import export

    folder = export.export(args.source, variant=args.variant, name=args.name, version=args.version, out=args.out,
                           fold_bn=args.fold_bn, fmt=args.format)
    meta = export.read_version(folder)
    print(f"exported {meta['source']} -> {folder}")
    print(f"  signature serving_default: input '{meta['input']['name']}' {meta['input']['dtype']} "
          f"{meta['input']['shape']} -> {', '.join(meta['outputs'])}")
    if meta.get("fold_bn"):
        print(f"  folded BN: {meta['fold_bn']['folded']}; skipped: {meta['fold_bn']['skipped']}; "
              f"max |difference| {meta['fold_bn']['max_abs_difference']:.3g}")
    if meta.get("tflite"):
        print(f"  tflite: {meta['tflite']['file']} (max |difference| {meta['tflite']['max_abs_difference']:.3g})")
    return 0
