// The little markdown the benchmark tables are written in (npm run bench: a title line, pipe tables, "- " lists,
// paragraphs, `code`) as DOM elements, built with textContent so nothing in a file becomes markup.

/** Appends text to parent with `code` spans as <code>. */
function appendInline(parent, text) {
  text.split('`').forEach((part, i) => {
    if (i % 2 === 1) {
      parent.append(Object.assign(document.createElement('code'), {textContent: part}));
    } else if (part !== '') {
      parent.append(part);
    }
  });
}

function cells(line) {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map(c => c.trim());
}

/** The elements of a markdown text: tables, lists and paragraphs, in order. */
export function markdownElements(text) {
  const elements = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
    } else if (line.trimStart().startsWith('|')) {
      const table = document.createElement('table');
      const header = table.createTHead().insertRow();
      cells(line).forEach(c => appendInline(header.appendChild(document.createElement('th')), c));
      const body = table.createTBody();
      for (i++; i < lines.length && lines[i].trimStart().startsWith('|'); i++) {
        if (/^\s*\|[\s|:-]+\|\s*$/.test(lines[i])) {
          continue;  // the |---|---| line under the header
        }
        const row = body.insertRow();
        cells(lines[i]).forEach(c => appendInline(row.insertCell(), c));
      }
      elements.push(table);
    } else if (line.startsWith('- ')) {
      const list = document.createElement('ul');
      for (; i < lines.length && lines[i].startsWith('- '); i++) {
        appendInline(list.appendChild(document.createElement('li')), lines[i].slice(2));
      }
      elements.push(list);
    } else {
      const paragraph = document.createElement('p');
      const words = [];
      for (; i < lines.length && lines[i].trim() !== '' && !lines[i].trimStart().startsWith('|') && !lines[i].startsWith('- '); i++) {
        words.push(lines[i].trim());
      }
      appendInline(paragraph, words.join(' '));
      elements.push(paragraph);
    }
  }
  return elements;
}
