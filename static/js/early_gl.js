// Classic script in <head>: make the scatter view's WebGL context now, while the modules load. A
// software renderer takes ~0.4 s of the main thread to create one; made here, that time overlaps the
// module fetches instead of following them. scatter_view.js adopts it (once) with the same attributes.
(() => {
  try {
    const canvas = document.createElement('canvas');
    canvas.style.display = 'block';
    const gl = canvas.getContext('webgl2', {
      alpha: true, depth: true, stencil: false, antialias: true, premultipliedAlpha: true,
      preserveDrawingBuffer: false, powerPreference: 'high-performance', failIfMajorPerformanceCaveat: false,
    });
    if (gl) window.__earlyGl = { canvas, gl };
  } catch (e) {
    // no WebGL here: scatter_view.js makes its own renderer and reports the failure as before
  }
})();
