// Generates the labelled evaluation corpus: seeded synthetic records (generated.jsonl) and the hand-written
// hard cases converted from markup (hard-cases.txt → hard-cases.jsonl). Values come from format rules
// written here, not from the detectors, so the evaluation does not grade the engine against itself.
// Run: npx tsc -p . ; node dist/test/pii/corpus/generate.js
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeIBAN, isValidIBAN } from 'ibantools';
import { CORPUS_DIR, parseMarkup, type LabelledText } from './corpus-format';

const RECORDS = 1500;

/** mulberry32: a tiny seeded PRNG so the corpus is reproducible. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Generators {
  pick<T>(items: readonly T[]): T;
  digits(n: number): string;
  email(): string;
  phone(): string;
  ssn(): string;
  card(): string;
  iban(): string;
  ip(): string;
}

const FIRST = ['maria', 'john', 'li', 'aisha', 'oliver', 'sofia', 'raj', 'emma', 'lukas', 'chloe', 'kenji', 'fatima', 'noah', 'ines', 'mateo'];
const LAST = ['gonzalez', 'smith', 'wang', 'khan', 'brown', 'rossi', 'patel', 'muller', 'dubois', 'tanaka', 'silva', 'nowak', 'obrien'];
const DOMAINS = ['example.com', 'mail.example.org', 'acme-corp.com', 'corp.example.co.uk', 'startup.io', 'uni.example.edu', 'post.example.de', 'example.fr', 'bank.example.com.au'];

// Phone formats written as each country prints them; # is a random digit, % a digit 2-9 (NANP exchanges).
const PHONE_FORMATS = [
  '+1 (415) %##-####', '+1 212-%##-####', '+1 646 %## ####', '(312) %##-####', '617-%##-####', '206.%##.####', '+1-303-%##-####',
  '+44 20 7946 0###', '+44 7700 900###', '+44 161 496 0###', '+49 30 #######', '+49 89 ########', '+49 151 ########',
  '+33 1 ## ## ## ##', '+33 6 ## ## ## ##', '+91 98### #####', '+91 22 #### ####', '+61 2 9### ####', '+61 4## ### ###',
  '+81 3-####-####', '+81 90-####-####', '+55 11 9####-####', '+34 6## ### ###', '+39 06 #### ####', '+31 20 ### ####',
  '+52 55 #### ####', '+86 138 #### ####', '+65 6### ####', '+27 21 ### ####', '+41 44 ### ## ##', '+46 8 ### ### ##',
  '+353 1 ### ####', '+48 22 ### ## ##', '+351 21 ### ####', '+64 9 ### ####', '+971 4 ### ####', '+82 2-####-####',
  '+14155550###', '+4930#######',
];

type CardBrand = readonly [prefixes: readonly string[], length: number, groups: readonly number[]];
const CARD_BRANDS: readonly CardBrand[] = [
  [['4'], 16, [4, 4, 4, 4]],
  [['51', '52', '53', '54', '55', '2221', '2500', '2720'], 16, [4, 4, 4, 4]],
  [['34', '37'], 15, [4, 6, 5]],
  [['6011', '65', '644'], 16, [4, 4, 4, 4]],
  [['3528', '3589'], 16, [4, 4, 4, 4]],
  [['36', '300', '305'], 14, [4, 6, 4]],
  [['62'], 16, [4, 4, 4, 4]],
  [['4'], 19, [4, 4, 4, 4, 3]],
];

const IBAN_BBANS: readonly (readonly [string, (g: Generators) => string])[] = [
  ['GB', (g) => g.pick(['WEST', 'NWBK', 'BARC', 'MIDL']) + g.digits(14)],
  ['DE', (g) => g.digits(18)],
  ['NL', (g) => g.pick(['ABNA', 'INGB', 'RABO']) + g.digits(10)],
  ['AT', (g) => g.digits(16)],
  ['CH', (g) => g.digits(17)],
  ['IE', (g) => g.pick(['AIBK', 'BOFI']) + g.digits(14)],
  ['LU', (g) => g.digits(16)],
  ['DK', (g) => g.digits(14)],
  ['FI', (g) => g.digits(14)],
  ['SE', (g) => g.digits(20)],
  ['IT', (g) => 'X' + g.digits(22)],
  ['LT', (g) => g.digits(16)],
];

/** `body` with the check digit that makes it pass Luhn. */
export function luhnComplete(body: string): string {
  for (let check = 0; check <= 9; check++) {
    const candidate = body + check;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let d = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

function group(value: string, sizes: readonly number[], separator: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(value.slice(at, at + size));
    at += size;
  }
  return parts.join(separator);
}

export function createGenerators(random: () => number): Generators {
  const int = (n: number): number => Math.floor(random() * n);
  const g: Generators = {
    pick: (items) => items[int(items.length)]!,
    digits: (n) => Array.from({ length: n }, () => String(int(10))).join(''),
    email() {
      const f = g.pick(FIRST);
      const l = g.pick(LAST);
      const local = g.pick([`${f}.${l}`, `${f}${int(100)}`, `${f[0]}${l}`, `${f}_${l}`, `${f}+news`, `${l}-${f}`]);
      const address = `${local}@${g.pick(DOMAINS)}`;
      return random() < 0.1 ? address.toUpperCase() : address;
    },
    phone: () => g.pick(PHONE_FORMATS).replace(/#/g, () => String(int(10))).replace(/%/g, () => String(2 + int(8))),
    ssn() {
      let area = g.digits(3);
      while (area === '000' || area === '666' || area[0] === '9') area = g.digits(3);
      const part = `${area}|${String(1 + int(99)).padStart(2, '0')}|${String(1 + int(9999)).padStart(4, '0')}`;
      return part.replace(/\|/g, random() < 0.8 ? '-' : ' ');
    },
    card() {
      const [prefixes, length, sizes] = g.pick(CARD_BRANDS);
      const prefix = g.pick(prefixes);
      const number = luhnComplete(prefix + g.digits(length - prefix.length - 1));
      const style = random();
      return style < 0.4 ? group(number, sizes, ' ') : style < 0.7 ? group(number, sizes, '-') : number;
    },
    iban() {
      for (;;) {
        const [countryCode, bban] = g.pick(IBAN_BBANS);
        const iban = composeIBAN({ countryCode, bban: bban(g) });
        if (iban !== null && isValidIBAN(iban)) return random() < 0.6 ? iban.replace(/(.{4})(?=.)/g, '$1 ') : iban;
      }
    },
    ip() {
      if (random() < 0.75) return [1 + int(222), int(256), int(256), 1 + int(254)].join('.');
      const hextets = Array.from({ length: 8 }, () => int(65536).toString(16));
      hextets[0] = '2001';
      if (random() < 0.5) return hextets.join(':');
      return `${hextets.slice(0, 3).join(':')}::${hextets.slice(6).join(':')}`;
    },
  };
  return g;
}

/** Negatives that look like PII: every one of them must stay unlabelled. */
function negative(g: Generators, random: () => number): string {
  const int = (n: number): number => Math.floor(random() * n);
  return g.pick([
    () => `order #${luhnComplete('4' + g.digits(14))}`,
    () => `tracking number 1Z${g.digits(3)}AA1${g.digits(10)}`,
    () => `IMEI ${luhnComplete('35' + g.digits(12))}`,
    () => `version ${int(20)}.${int(10)}.${int(100)}.${int(10)}`,
    () => `v${int(5)}.${int(30)}.${int(10)}`,
    () => `http://${10 + int(200)}.${int(256)}.${int(256)}.${1 + int(254)}:${8000 + int(1000)}/status`,
    () => `https://${int(200) + 10}.0.${int(256)}.${1 + int(200)}/login`,
    () => `${2000 + int(25)}-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}T${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:00Z`,
    () => `${String(1 + int(12)).padStart(2, '0')}/${String(1 + int(28)).padStart(2, '0')}/${1950 + int(70)}`,
    () => `epoch ${1_600_000_000 + int(200_000_000)}`,
    () => `ISBN 978-${int(10)}-${g.digits(3)}-${g.digits(5)}-${int(10)}`,
    () => `id ${[8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => int(16).toString(16)).join('')).join('-')}`,
    () => `invoice INV-${2020 + int(5)}-${g.digits(6)}`,
    () => `order ${g.digits(10)}`,
    () => `$${int(9000) + 1000},${g.digits(3)}.${g.digits(2)}`,
    () => `MAC ${Array.from({ length: 6 }, () => int(256).toString(16).padStart(2, '0')).join(':')}`,
    () => `commit ${Array.from({ length: 40 }, () => int(16).toString(16)).join('')}`,
    () => `employee id ${g.digits(9)}`,
    () => `at ${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}`,
    () => `qty ${int(1000)} x ${int(100)}`,
  ])();
}

type Piece = string | { type: string; value: string };

const TEMPLATES: readonly ((g: Generators) => Piece[])[] = [
  (g) => ['Hi, please contact ', { type: 'email', value: g.email() }, ' or call ', { type: 'phone', value: g.phone() }, '.'],
  (g) => ['Card ', { type: 'credit_card', value: g.card() }, ' was declined for the customer.'],
  (g) => ['Wire the refund to ', { type: 'iban', value: g.iban() }, ' by Friday.'],
  (g) => ['login failed from ', { type: 'ip_address', value: g.ip() }, ' for user ', { type: 'email', value: g.email() }],
  (g) => ['SSN: ', { type: 'ssn', value: g.ssn() }, ', DOB on file.'],
  (g) => ['{"email":"', { type: 'email', value: g.email() }, '","phone":"', { type: 'phone', value: g.phone() }, '"}'],
  (g) => ['Paid with ', { type: 'credit_card', value: g.card() }, '; billing phone ', { type: 'phone', value: g.phone() }],
  (g) => ['src=', { type: 'ip_address', value: g.ip() }, ' dst=', { type: 'ip_address', value: g.ip() }, ' action=deny'],
  (g) => ['Employee record: ssn ', { type: 'ssn', value: g.ssn() }, ', iban ', { type: 'iban', value: g.iban() }],
  (g) => ['Forwarded from ', { type: 'email', value: g.email() }, ': "my number changed to ', { type: 'phone', value: g.phone() }, '"'],
];

function buildRecord(g: Generators, random: () => number): LabelledText {
  const pieces: Piece[] = [...g.pick(TEMPLATES)(g)];
  // mix in negatives before, after, or instead of nothing
  if (random() < 0.7) pieces.push(` Ref: ${negative(g, random)}.`);
  if (random() < 0.4) pieces.unshift(`${negative(g, random)} — `);
  let text = '';
  const spans: LabelledText['spans'] = [];
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      text += piece;
    } else {
      spans.push({ type: piece.type, start: text.length, end: text.length + piece.value.length });
      text += piece.value;
    }
  }
  return { text, spans };
}

function negativeOnly(g: Generators, random: () => number): LabelledText {
  return { text: `Note: ${negative(g, random)} and ${negative(g, random)}.`, spans: [] };
}

function toJsonl(records: readonly LabelledText[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export function generateCorpus(seed: number, count: number): LabelledText[] {
  const random = createRandom(seed);
  const g = createGenerators(random);
  return Array.from({ length: count }, () => (random() < 0.2 ? negativeOnly(g, random) : buildRecord(g, random)));
}

function main(): void {
  writeFileSync(join(CORPUS_DIR, 'generated.jsonl'), toJsonl(generateCorpus(20240601, RECORDS)));
  const hard = readFileSync(join(CORPUS_DIR, 'hard-cases.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map(parseMarkup);
  writeFileSync(join(CORPUS_DIR, 'hard-cases.jsonl'), toJsonl(hard));
}

if (require.main === module) main();
