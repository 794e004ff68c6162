"""float16 weights in an exported ONNX file, float32 arithmetic at run time.

Every parameter of at least `min_elems` values is stored as float16 and cast back to float32 where
it is read (a parametrization, so torch.onnx.export writes a float16 initializer and a Cast node;
onnxruntime folds the Cast into a float32 constant when it creates the session). The file is half
the size; what runs is float32 arithmetic on weights rounded to float16 (relative error <= 2^-11).
The bundled models share a 40 MB budget for the browser (test/models/runtime.test.ts)."""
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize


class _Float32(nn.Module):
    def forward(self, w):
        return w.float()


def half_weights(model, min_elems=256):
    """Stores model's large parameters as float16 in place (for export only: do not train it after)."""
    for mod in list(model.modules()):
        for name, p in list(mod.named_parameters(recurse=False)):
            if p.numel() >= min_elems and p.dtype.is_floating_point:
                parametrize.register_parametrization(mod, name, _Float32(), unsafe=True)
                original = mod.parametrizations[name].original
                original.data = original.data.half()
    return model
