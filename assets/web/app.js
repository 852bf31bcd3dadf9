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

  // RGBA pixels → float32 NCHW in [0, 1].
  const toTensor = (rgba, w, h) => {
    const n = w * h, data = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      data[i] = rgba[4 * i] / 255; data[n + i] = rgba[4 * i + 1] / 255; data[2 * n + i] = rgba[4 * i + 2] / 255;
    }
    return new ort.Tensor("float32", data, [1, 3, h, w]);
  };
  // The edit made at the pixel scale, put onto the camera-size frame without upscaling blur (as
  // e2gan/compose.py does): up(edit) + up(gain) · (frame luminance − up(small luminance)), where gain is each
  // output channel's local slope against the input's luminance (a guided filter), measured at the small size.
  const LUMA = [0.299, 0.587, 0.114];
  const box = (src, w, h, r) => {  // mean over a (2r+1)² window, edges clamped
    const tmp = new Float32Array(w * h), out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0; for (let d = -r; d <= r; d++) s += src[y * w + Math.min(w - 1, Math.max(0, x + d))];
      tmp[y * w + x] = s / (2 * r + 1);
    }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0; for (let d = -r; d <= r; d++) s += tmp[Math.min(h - 1, Math.max(0, y + d)) * w + x];
      out[y * w + x] = s / (2 * r + 1);
    }
    return out;
  };
  const compose = (full, W, H, small, edit, w, h) => {
    const n = w * h, lum = new Float32Array(n), lum2 = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      lum[i] = (LUMA[0] * small[4 * i] + LUMA[1] * small[4 * i + 1] + LUMA[2] * small[4 * i + 2]) / 255;
      lum2[i] = lum[i] * lum[i];
    }
    const mL = box(lum, w, h, 2), vL = box(lum2, w, h, 2).map((v, i) => v - mL[i] * mL[i]);
    const chans = [0, 1, 2].map((c) => {
      const e = new Float32Array(n), el = new Float32Array(n);
      for (let i = 0; i < n; i++) { e[i] = edit[c * n + i]; el[i] = e[i] * lum[i]; }
      const mE = box(e, w, h, 2), mEL = box(el, w, h, 2);
      return { e, gain: box(mEL.map((v, i) => (v - mE[i] * mL[i]) / (vL[i] + 1e-3)), w, h, 2) };
    });
    const out = new ImageData(W, H), sx = w / W, sy = h / H;
    const sample = (a, fx, fy) => {  // bilinear, pixel centres aligned like cv2.resize
      const x = Math.min(w - 1, Math.max(0, fx)), y = Math.min(h - 1, Math.max(0, fy));
      const x0 = Math.floor(x), y0 = Math.floor(y), x1 = Math.min(w - 1, x0 + 1), y1 = Math.min(h - 1, y0 + 1);
      const ax = x - x0, ay = y - y0;
      return (a[y0 * w + x0] * (1 - ax) + a[y0 * w + x1] * ax) * (1 - ay) + (a[y1 * w + x0] * (1 - ax) + a[y1 * w + x1] * ax) * ay;
    };
    for (let Y = 0; Y < H; Y++) for (let X = 0; X < W; X++) {
      const fx = (X + 0.5) * sx - 0.5, fy = (Y + 0.5) * sy - 0.5, j = 4 * (Y * W + X);
      const detail = (LUMA[0] * full[j] + LUMA[1] * full[j + 1] + LUMA[2] * full[j + 2]) / 255 - sample(lum, fx, fy);
      for (let c = 0; c < 3; c++) {
        const v = sample(chans[c].e, fx, fy) + sample(chans[c].gain, fx, fy) * detail;
        out.data[j + c] = Math.max(0, Math.min(255, Math.round(v * 255)));
      }
      out.data[j + 3] = 255;
    }
    return out;
  };

  async function run(rgba, w, h) {
    const result = await state.session.run({ image: toTensor(rgba, w, h) });
    return result.image_out.data;
  }

  const scratch = document.createElement("canvas");
  const sctx = scratch.getContext("2d", { willReadFrequently: true });

  // A camera-size frame through the filter: the network at the pixel scale, then composed at full size.
  async function filterFrame(source, W, H) {
    const [w, h] = workSize(W, H, state.config.pixel_scale);  // the network runs at the pixel scale it learned
    scratch.width = W; scratch.height = H;
    sctx.drawImage(source, 0, 0, W, H);
    const camera = sctx.getImageData(0, 0, W, H);
    scratch.width = w; scratch.height = h;
    sctx.drawImage(source, 0, 0, w, h);
    const small = sctx.getImageData(0, 0, w, h);
    return compose(camera.data, W, H, small.data, await run(small.data, w, h), w, h);
  }

  async function frame() {
    const video = $("cam"), out = $("out");
    if (!state.busy && video.readyState >= 2 && video.videoWidth) {
      state.busy = true;
      const [W, H] = [video.videoWidth, video.videoHeight];
      out.width = W; out.height = H;
      const octx = out.getContext("2d");
      if (state.after) {
        octx.putImageData(await filterFrame(video, W, H), 0, 0);
      } else {
        octx.drawImage(video, 0, 0, W, H);
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

  // Test hook: an image through the whole camera path (resize, network, compose), as RGBA bytes.
  async function filterImage(url) {
    const img = new Image();
    img.src = url;
    await img.decode();
    return Array.from((await filterFrame(img, img.naturalWidth, img.naturalHeight)).data);
  }

  window.e2gan = { ready, runImage, filterImage, get frames() { return state.frames; }, get fps() { return state.fps; } };
})();
