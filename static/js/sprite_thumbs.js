// A point's image from the dataset's sprite sheet as a small DOM box: the sheet is the box's
// background, moved and scaled through style properties (never markup), so the browser loads the
// sheet once and every thumbnail is one element.
import { el } from './dom.js';

/** Thumbnail size in CSS px in lists (neighbours, search results). */
export const LIST_THUMB_PX = 32;

/** The sheet column and row of dataset row `row`: point i is at (i % per_row, i // per_row). */
export function spriteCell(sprite, row) {
  return { column: row % sprite.per_row, row: Math.floor(row / sprite.per_row) };
}

/**
 * Style properties that show row `row`'s image in a box at most size×size, or null without a
 * sprite: {width, height, backgroundImage, backgroundPosition, backgroundSize}. A cell that is not
 * square keeps its shape (the box takes it), so no neighbouring image shows at the sides.
 */
export function thumbStyle(sprite, row, size = LIST_THUMB_PX) {
  if (!sprite || row === null || row === undefined || row < 0) return null;
  const { cell_width: cw, cell_height: ch } = sprite;
  const scale = size / Math.max(cw, ch);
  const cell = spriteCell(sprite, row);
  const x = -cell.column * cw * scale;
  const y = -cell.row * ch * scale;
  return {
    width: `${round(cw * scale)}px`,
    height: `${round(ch * scale)}px`,
    backgroundImage: `url(${JSON.stringify(sprite.url)})`,
    backgroundPosition: `${round(x)}px ${round(y)}px`,
    backgroundSize: `${round(sprite.width * scale)}px ${round(sprite.height * scale)}px`,
  };
}

function round(v) {
  return Math.round(v * 100) / 100;
}

/** A thumbnail element (<span class="thumb">) for row `row`, or null when the dataset has no sprite. */
export function spriteThumb(sprite, row, size = LIST_THUMB_PX) {
  const style = thumbStyle(sprite, row, size);
  if (!style) return null;
  return el('span', {
    className: 'thumb',
    dataset: { row: String(row) },
    attrs: { 'aria-hidden': 'true' },
    style,
  });
}
