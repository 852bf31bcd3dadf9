// E2GAN Studio phone filter: the camera through an exported E2GAN generator, in onnxruntime-web.
// Model contract (the same as every E2GAN Studio export): "image" float32 (1, 3, H, W) RGB in [0, 1]
// in, "image_out" the same out; H and W multiples of 8.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { session: null, config: null, after: true, facing: "user", frames: 0, busy: false, fps: 0, last: 0 };

  ort.env.wasm.wasmPaths = "./";
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

  const workSize = (w, h, res) => {
    const s = res / Math.min(w, h);
    return [Math.max(8, Math.round((w * s) / 8) * 8), Math.max(8, Math.round((h * s) / 8) * 8)];
  };

  // RGBA pixels → float32 NCHW in [0, 1], and back.
  const toTensor = (rgba, w, h) => {
    const n = w * h, data = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      data[i] = rgba[4 * i] / 255; data[n + i] = rgba[4 * i + 1] / 255; data[2 * n + i] = rgba[4 * i + 2] / 255;
    }
    return new ort.Tensor("float32", data, [1, 3, h, w]);
  };
  const toPixels = (data, w, h) => {
    const n = w * h, out = new ImageData(w, h);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) out.data[4 * i + c] = Math.max(0, Math.min(255, Math.round(data[c * n + i] * 255)));
      out.data[4 * i + 3] = 255;
    }
    return out;
  };

  async function run(rgba, w, h) {
    const result = await state.session.run({ image: toTensor(rgba, w, h) });
    return result.image_out.data;
  }

  const scratch = document.createElement("canvas");
  const sctx = scratch.getContext("2d", { willReadFrequently: true });

  async function frame() {
    const video = $("cam"), out = $("out");
    if (!state.busy && video.readyState >= 2 && video.videoWidth) {
      state.busy = true;
      const [w, h] = workSize(video.videoWidth, video.videoHeight, state.config.resolution);
      scratch.width = w; scratch.height = h; out.width = w; out.height = h;
      sctx.drawImage(video, 0, 0, w, h);
      const input = sctx.getImageData(0, 0, w, h);
      const octx = out.getContext("2d");
      if (state.after) {
        const data = await run(input.data, w, h);
        octx.putImageData(toPixels(data, w, h), 0, 0);
      } else {
        octx.putImageData(input, 0, 0);
      }
      state.frames++;
      const now = performance.now();
      if (state.last) state.fps = 0.9 * state.fps + 0.1 * (1000 / (now - state.last));
      state.last = now;
      $("fps").textContent = `${state.fps.toFixed(1)} fps`;
      state.busy = false;
    }
    requestAnimationFrame(frame);
  }

  async function startCamera() {
    const old = $("cam").srcObject;
    if (old) old.getTracks().forEach((t) => t.stop());
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: state.facing, width: { ideal: 640 } }, audio: false });
    $("cam").srcObject = stream;
    await $("cam").play();
  }

  // Test and debugging hook: filter an image URL and return the raw output (float32 NCHW).
  async function runImage(url) {
    const img = new Image();
    img.src = url;
    await img.decode();
    const [w, h] = [img.naturalWidth, img.naturalHeight];
    scratch.width = w; scratch.height = h;
    sctx.drawImage(img, 0, 0);
    return Array.from(await run(sctx.getImageData(0, 0, w, h).data, w, h));
  }

  const ready = (async () => {
    state.config = await (await fetch("config.json")).json();
    $("title").textContent = state.config.title;
    document.title = state.config.title;
    state.session = await ort.InferenceSession.create(state.config.model, { executionProviders: ["wasm"] });
    $("status").textContent = "Starting the camera…";
    try {
      await startCamera();
      $("status").textContent = state.config.prompt;
      requestAnimationFrame(frame);
    } catch (e) {
      $("status").textContent = `Camera unavailable: ${e.message}. Phones need https (or localhost).`;
    }
  })();

  const toggle = $("toggle");
  const setAfter = (v) => { state.after = v; toggle.textContent = v ? "After" : "Before"; toggle.classList.toggle("on", v); };
  toggle.addEventListener("click", () => setAfter(!state.after));
  $("flip").addEventListener("click", () => { state.facing = state.facing === "user" ? "environment" : "user"; startCamera(); });

  window.e2gan = { ready, runImage, get frames() { return state.frames; }, get fps() { return state.fps; } };
})();
