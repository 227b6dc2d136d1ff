// Classic script in <head>: make the scatter view's WebGL context now, while the modules load. A
// software renderer takes ~0.4 s of the main thread to create one; made here, that time overlaps the
// module fetches instead of following them. scatter_view.js adopts it (once).
//
// Multisampling is only asked for on a GPU. A software renderer (SwiftShader, llvmpipe, Windows'
// basic render driver: a machine or VM without a usable GPU) runs every fragment on the CPU, and
// there it doubled the time of each frame of a million points (1.7-1.9 s against 0.6-1.1 s). The dots soften
// their own rims in the shader, so they look the same without it; only lines lose their smoothing.
(() => {
  const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i;
  const ATTRIBUTES = {
    alpha: true, depth: true, stencil: false, premultipliedAlpha: true,
    preserveDrawingBuffer: false, powerPreference: 'high-performance', failIfMajorPerformanceCaveat: false,
  };
  const make = (antialias) => {
    const canvas = document.createElement('canvas');
    canvas.style.display = 'block';
    const gl = canvas.getContext('webgl2', { ...ATTRIBUTES, antialias });
    return gl ? { canvas, gl } : null;
  };
  try {
    // First without multisampling: on a software renderer that context is kept, and making a
    // second one there would cost as much again; on a GPU a second context is quick.
    let early = make(false);
    if (!early) return;
    const info = early.gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(early.gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : early.gl.RENDERER));
    const software = SOFTWARE.test(renderer);
    if (!software) {
      early.gl.getExtension('WEBGL_lose_context')?.loseContext();
      early = make(true);
    }
    window.__softwareGl = software;
    if (early) window.__earlyGl = early;
  } catch (e) {
    // no WebGL here: scatter_view.js makes its own renderer and reports the failure as before
  }
})();
