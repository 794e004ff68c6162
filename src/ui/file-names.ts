/**
 * A part of a file name from free text: lower case, words joined by "-", no other characters, a parenthesis
 * left out ("Text to image (unCLIP)" -> "text-to-image").
 */
export function fileSlug(text: string): string {
  const words = text
    .replace(/\([^)]*\)/g, ' ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // a title that is only a parenthesis still names something
  return words || (text.trim() ? fileSlug(text.replace(/[()]/g, ' ')) : '');
}

/**
 * The name a saved picture gets: the graph's title, the node, and the output where it is not the node's first
 * ("text-to-image-decoder.png", "text-to-image-decoder-trajectory.png"); no word twice in a row, so the node
 * `image` of "Text to image" saves as "text-to-image.png", not "...-image-image.png".
 */
export function imageFileName(
  title: string | undefined,
  nodeId: string,
  port: string,
  firstPort: string | undefined,
): string {
  const parts = [fileSlug(title ?? ''), fileSlug(nodeId), port === firstPort ? '' : fileSlug(port)];
  let name: string[] = [];
  for (const part of parts) {
    const words = part.split('-').filter(Boolean);
    // a part the name already ends with ("clip-rank" after "clip-rank") adds nothing
    if (words.length && words.join('-') === name.slice(-words.length).join('-')) continue;
    name = [...name, ...words];
  }
  name = name.filter((w, i) => w !== name[i - 1]);
  return `${name.join('-') || 'image'}.png`;
}
