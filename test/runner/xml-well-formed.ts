/**
 * A small XML well-formedness check for the JUnit reporter's output: one root, tags nest and
 * close, attribute values quoted, `&` only in the five predefined entities or character
 * references, no `<` in text or attributes. Returns the element names seen, in order.
 */
export function checkWellFormedXml(xml: string): string[] {
  let s = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const seen: string[] = [];
  let roots = 0;
  const checkText = (text: string) => {
    if (text.includes('<')) throw new Error(`raw < in text: ${text.slice(0, 60)}`);
    for (const m of text.matchAll(/&([^;\s]*);?/g)) {
      if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]) || !m[0].endsWith(';')) {
        throw new Error(`bad entity ${m[0]}`);
      }
    }
  };
  while (s.length) {
    const lt = s.indexOf('<');
    if (lt < 0) {
      if (s.trim()) throw new Error('text after the root element');
      break;
    }
    const text = s.slice(0, lt);
    if (stack.length === 0 && text.trim()) throw new Error('text outside the root element');
    checkText(text);
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = s.slice(lt + 1, gt);
    s = s.slice(gt + 1);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*$/.exec(body);
    if (!m) throw new Error(`malformed tag <${tag}>`);
    for (const a of m[2].matchAll(/="([^"]*)"/g)) checkText(a[1]);
    const names = [...m[2].matchAll(/([A-Za-z_][\w.-]*)=/g)].map((x) => x[1]);
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${tag}>`);
    if (stack.length === 0) roots++;
    seen.push(m[1]);
    if (!selfClosing) stack.push(m[1]);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return seen;
}
