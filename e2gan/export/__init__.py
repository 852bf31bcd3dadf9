"""Step 7: exports a phone or an app can run, each verified against PyTorch before it is called done.

`onnx_model` (fp32, LoRA merged, prompt baked in), `int8` (static QDQ quantisation calibrated on the
project's images), `coreml` (.mlpackage, when coremltools is installed), `web` (a static page running
onnxruntime-web on the phone's camera), `parity` (max error and PSNR against PyTorch), `card` (the model card).
Every exported model has the same contract: float32 RGB (N, 3, H, W) in [0, 1] in, the same shape out.
"""
