// Classic (blocking) script in <head>: puts the remembered theme on <html> before the first paint,
// so a night-mode page never flashes white. theme.js owns the key and everything else.
try {
  if (localStorage.getItem('projector.theme') === 'night') document.documentElement.dataset.theme = 'night';
} catch (e) {
  // storage can be disabled; the day theme is the fallback
}
