// Generates the real-world evaluation corpus: values as people write them across many locales, labelled from
// sources that owe nothing to the detectors: @faker-js/faker's locale data (names, addresses, phone formats,
// e-mail and IP generators), libphonenumber's full ("max") numbering-plan metadata and its example numbers, the
// card networks' published issuer ranges and lengths, and ibantools for IBANs. Hard negatives (order ids,
// timestamps, versions, amounts, IMEIs, tracking numbers…) carry no label.
//
// Two splits with nothing in common but the generator: `tune` (one seed, one set of locales) for working on the
// detectors, and `heldout` (another seed, other locales) for the reported figures only.
// Run: npx tsc -p . ; node dist/test/pii/corpus/world/generate-world.js
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allFakers, type Faker } from '@faker-js/faker';
import { isValidIBAN } from 'ibantools';
import { getExampleNumber, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import mobileExamples from 'libphonenumber-js/examples.mobile.json';
import { CORPUS_DIR, type LabelledSpan, type LabelledText, type WorldSplit } from '../corpus-format';

interface SplitSettings {
  seed: number;
  /** faker locale → the country its phone numbers belong to */
  locales: Readonly<Record<string, CountryCode>>;
  records: number;
}

export const SPLITS: Readonly<Record<WorldSplit, SplitSettings>> = {
  tune: {
    seed: 20_261_205,
    records: 2500,
    locales: {
      en_US: 'US', en_GB: 'GB', de: 'DE', fr: 'FR', en_AU: 'AU', it: 'IT', es: 'ES', nl: 'NL', pt_BR: 'BR', en_IN: 'IN',
      ja: 'JP', pl: 'PL', cs_CZ: 'CZ', ru: 'RU', tr: 'TR', he: 'IL', ko: 'KR', da: 'DK', fr_LU: 'LU',
    },
  },
  heldout: {
    seed: 77_031_019,
    records: 2500,
    locales: {
      en_CA: 'CA', fr_CH: 'CH', de_CH: 'CH', de_AT: 'AT', en_IE: 'IE', sv: 'SE', pt_PT: 'PT', fi: 'FI', nb_NO: 'NO',
      hu: 'HU', ro: 'RO', el: 'GR', zh_CN: 'CN', en_ZA: 'ZA', en_NG: 'NG', es_MX: 'MX', nl_BE: 'BE', fr_BE: 'BE',
      hr: 'HR', sk: 'SK', uk: 'UA', en_HK: 'HK', en_GB: 'GB', fr_CA: 'CA',
    },
  },
};

export const WORLD_DIR = join(CORPUS_DIR, 'world');
export const worldFile = (split: WorldSplit) => `world-${split}.jsonl`;

/** A text under construction: literal pieces and labelled values, joined with their offsets. */
class Builder {
  private text = '';
  private readonly spans: LabelledSpan[] = [];
  add(piece: string): this {
    this.text += piece;
    return this;
  }
  label(type: string, value: string): this {
    this.spans.push({ type, start: this.text.length, end: this.text.length + value.length });
    this.text += value;
    return this;
  }
  build(): LabelledText {
    return { text: this.text, spans: this.spans };
  }
}

// ---- phones -------------------------------------------------------------------------------------------------

function parseIn(value: string, country: CountryCode): PhoneNumber | undefined {
  try {
    return parsePhoneNumberFromString(value, country);
  } catch {
    return undefined;
  }
}

/** Digits of a national number regrouped the way people type them: dots, dashes, pairs, one block. */
function regroup(f: Faker, national: string, trunk: string): string {
  const digits = trunk + national;
  switch (f.number.int(4)) {
    case 0: return digits;
    case 1: return digits.replace(/(\d{3})(?=\d{4})/g, '$1.').replace(/\.(?=\d{1,3}$)/, '.');
    case 2: return `${digits.slice(0, digits.length % 2 === 0 ? 2 : 3)} ${digits.slice(digits.length % 2 === 0 ? 2 : 3).replace(/(\d{2})(?=\d)/g, '$1 ')}`;
    case 3: return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`;
    default: return `${digits.slice(0, 4)} ${digits.slice(4, 7)} ${digits.slice(7)}`;
  }
}

/** A phone number of `country` written one of the ways people write it, valid in the full numbering plan. */
function phoneOf(f: Faker, country: CountryCode): string | undefined {
  const style = f.number.int(9);
  if (style <= 2) {
    // the locale's own formats (faker's locale data), kept only when the numbering plan says they exist
    const written = f.phone.number({ style: f.helpers.arrayElement(['human', 'national', 'international'] as const) }).trim();
    const parsed = parseIn(written, country);
    return parsed?.isValid() ? written : undefined;
  }
  // the numbering plan's example number with a fresh subscriber part
  const example = getExampleNumber(country, mobileExamples);
  if (!example) return undefined;
  const keep = Math.max(2, example.nationalNumber.length - 4);
  const national = example.nationalNumber.slice(0, keep) + f.string.numeric(example.nationalNumber.length - keep);
  const number = parseIn(`+${example.countryCallingCode}${national}`, country);
  if (!number?.isValid()) return undefined;
  const code = number.countryCallingCode;
  const trunk = number.formatNational().replace(/\D/g, '').startsWith('0') && !national.startsWith('0') ? '0' : '';
  switch (style) {
    case 3: return number.formatNational();
    case 4: return number.formatInternational();
    case 5: return `00${number.formatInternational().slice(1)}`;
    case 6: return trunk === '0' ? `+${code} (0)${number.formatNational().replace(/^\(?0\)?\s?/, '')}` : number.format('E.164');
    case 7: return `${number.formatInternational()} ${f.helpers.arrayElement(['x', 'ext. ', 'ext '])}${f.string.numeric({ length: { min: 2, max: 4 }, allowLeadingZeros: false })}`;
    case 8: return regroup(f, national, trunk);
    default: return `+${code} ${national.replace(/(\d{3})(?=\d{3})/g, '$1.')}`;
  }
}

// ---- cards --------------------------------------------------------------------------------------------------

/** Issuer ranges as the networks publish them: [prefix, lengths…]. */
const CARD_NETWORKS: ReadonlyArray<readonly [name: string, prefixes: readonly string[], lengths: readonly number[]]> = [
  ['Visa', ['4'], [13, 16, 19]],
  ['Mastercard', ['51', '52', '53', '54', '55', '2221', '2300', '2500', '2720'], [16]],
  ['American Express', ['34', '37'], [15]],
  ['Discover', ['6011', '644', '649', '65'], [16, 19]],
  ['JCB', ['3528', '3540', '3589'], [16, 17, 18, 19]],
  ['JCB', ['1800', '2131'], [15]],
  ['Diners Club', ['300', '305', '36', '38', '39'], [14, 16]],
  ['Maestro', ['50', '56', '58', '6304', '6759', '676770', '639'], [12, 13, 15, 16, 18, 19]],
  ['UnionPay', ['62', '81'], [16, 17, 18, 19]],
  ['Mir', ['2200', '2204'], [16]],
  ['RuPay', ['60', '508', '652'], [16]],
];

function luhnComplete(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return body + String((10 - (sum % 10)) % 10);
}

function cardOf(f: Faker): { network: string; number: string } {
  const [network, prefixes, lengths] = f.helpers.arrayElement(CARD_NETWORKS);
  const prefix = f.helpers.arrayElement(prefixes);
  const length = f.helpers.arrayElement(lengths);
  const digits = luhnComplete(prefix + f.string.numeric(length - prefix.length - 1));
  const groups = length === 15 ? [4, 6, 5] : length === 14 ? [4, 6, 4] : [4, 4, 4, 4, 4].slice(0, Math.ceil(length / 4));
  const separator = f.helpers.arrayElement(['', ' ', '-', ' ']);
  if (separator === '') return { network, number: digits };
  const pieces: string[] = [];
  let at = 0;
  for (const size of groups) {
    if (at >= length) break;
    pieces.push(digits.slice(at, at + size));
    at += size;
  }
  if (at < length) pieces.push(digits.slice(at));
  return { network, number: pieces.join(separator) };
}

// ---- other types --------------------------------------------------------------------------------------------

function ssnOf(f: Faker): { value: string; bare: boolean } {
  let area = f.number.int({ min: 1, max: 899 });
  if (area === 666) area = 667;
  const parts = [String(area).padStart(3, '0'), String(f.number.int({ min: 1, max: 99 })).padStart(2, '0'), String(f.number.int({ min: 1, max: 9999 })).padStart(4, '0')];
  const style = f.number.int(5);
  if (style === 0) return { value: parts.join(''), bare: true };
  return { value: parts.join(style === 1 ? ' ' : '-'), bare: false };
}

const IBAN_COUNTRIES = ['DE', 'FR', 'GB', 'CH', 'AT', 'NL', 'BE', 'ES', 'IT', 'PT', 'IE', 'PL', 'SE', 'NO', 'FI', 'DK', 'LU', 'CZ', 'HU', 'RO', 'HR', 'GR', 'SK', 'TR', 'SA', 'AE', 'LI', 'MT', 'CY'];

function ibanOf(f: Faker): string | undefined {
  const compact = f.finance.iban({ formatted: false, countryCode: f.helpers.arrayElement(IBAN_COUNTRIES) });
  if (!isValidIBAN(compact)) return undefined;
  return f.datatype.boolean() ? compact.replace(/(.{4})(?=.)/g, '$1 ') : compact;
}

function ipv6Of(f: Faker): string {
  const groups = f.internet.ipv6().split(':');
  const style = f.number.int(3);
  if (style === 0) return groups.join(':');
  // a run of zero groups written as `::`, as systems print them
  const from = f.number.int({ min: 2, max: 5 });
  const to = f.number.int({ min: from + 1, max: 7 });
  const head = groups.slice(0, from).map((g) => g.replace(/^0+(?=.)/, ''));
  const tail = groups.slice(to).map((g) => g.replace(/^0+(?=.)/, ''));
  if (style === 1) return `${['2001', 'db8', ...head.slice(2)].join(':')}::${tail.join(':')}`;
  return `fe80::${tail.slice(-4).join(':')}`;
}

// ---- sentences ----------------------------------------------------------------------------------------------

const PHONE_CONTEXT = [
  ['Call me on ', '.'], ['Tel.: ', ''], ['Tel ', ' (office)'], ['Mobile: ', ''], ['phone ', ' any time'], ['Please ring ', ' after 5pm.'],
  ['Kontakt: ', ''], ['Téléphone : ', ''], ['Rappelez-moi au ', ' svp'], ['Telefon ', ''], ['WhatsApp ', ''], ['Fax: ', ''],
  ['You can reach the front desk at ', '.'], ['"phone": "', '"'], ['Handy: ', ''], ['cell ', ''], ['Tél. ', ''], ['contact number ', ''],
] as const;

function phoneSentence(f: Faker, country: CountryCode, b: Builder): boolean {
  const phone = phoneOf(f, country);
  if (phone === undefined) return false;
  const name = f.person.fullName();
  switch (f.number.int(5)) {
    case 0: // a signature block: no keyword at all
      b.add(`${name}\n${f.company.name()}\n`).label('phone', phone).add('\n').label('email', f.internet.email().toLowerCase());
      return true;
    case 1: // a CSV row
      b.add(`${f.string.numeric(4)};${name};`).label('phone', phone).add(`;${f.location.city()}`);
      return true;
    default: {
      const [before, after] = f.helpers.arrayElement(PHONE_CONTEXT);
      b.add(`${name} — ${before}`).label('phone', phone).add(after);
      return true;
    }
  }
}

const CARD_CONTEXT = [
  ['Card number: ', ''], ['paid with ', ' exp 09/27'], ['Please charge my ', ' for the renewal.'], ['CC: ', ''], ['Kreditkarte ', ''],
  ['carte bancaire n° ', ''], ['"card_number": "', '"'], ['PAN ', ' was declined'], ['debit card ', ''], ['tarjeta ', ''],
] as const;

function cardSentence(f: Faker, b: Builder): void {
  const { network, number } = cardOf(f);
  const [before, after] = f.helpers.arrayElement(CARD_CONTEXT);
  if (f.number.int(3) === 0) b.add(`${network} `);
  b.add(before).label('credit_card', number).add(after);
}

function otherSentence(f: Faker, b: Builder): void {
  switch (f.number.int(5)) {
    case 0:
      b.add(`${f.helpers.arrayElement(['Write to ', 'Email: ', 'cc ', 'Contact: ', 'Adresse e-mail : '])}`).label('email', f.internet.email().toLowerCase()).add(f.helpers.arrayElement(['', '.', ' for details']));
      return;
    case 1: {
      const { value, bare } = ssnOf(f);
      b.add(bare ? f.helpers.arrayElement(['SSN ', 'SSN: ', 'social security number ']) : f.helpers.arrayElement(['SSN ', 'Employee SSN: ', 'ssn=', 'Her social security number is ', 'ID '])).label('ssn', value).add('.');
      return;
    }
    case 2: {
      const iban = ibanOf(f);
      if (iban === undefined) return;
      b.add(f.helpers.arrayElement(['IBAN: ', 'Pay to ', 'Bankverbindung ', 'wire to account '])).label('iban', iban).add(f.helpers.arrayElement(['', ' today', '.']));
      return;
    }
    case 3:
      b.add(f.helpers.arrayElement(['login from ', 'client ', 'src=', 'Request from ', 'peer '])).label('ip_address', f.internet.ipv4()).add(f.helpers.arrayElement(['', ' blocked', ':443']));
      return;
    default:
      b.add(f.helpers.arrayElement(['peer ', 'from ', 'client address ', 'src='])).label('ip_address', ipv6Of(f)).add(f.helpers.arrayElement(['', ' connected', '.']));
  }
}

/** Texts that look like PII to a careless detector and are not. */
function hardNegative(f: Faker, b: Builder): void {
  const luhnish = luhnComplete(f.helpers.arrayElement(['4', '5', '6', '35', '1800']) + f.string.numeric(14));
  const negatives = [
    () => `Order #${luhnish} shipped on ${f.date.recent().toISOString().slice(0, 10)}.`,
    () => `Invoice no. ${f.string.numeric(10)} due ${f.date.soon().toLocaleDateString('de-DE')}`,
    () => `IMEI ${luhnComplete(`35${f.string.numeric(12)}`)} reported lost`,
    () => `tracking number ${f.string.numeric(12)}, parcel ${f.string.alphanumeric(10).toUpperCase()}`,
    () => `ts=${Math.floor(f.date.recent().getTime() / 1000)} ms=${f.date.recent().getTime()}`,
    () => `upgraded to ${f.system.semver()} (build ${f.number.int(99)}.${f.number.int(9)}.${f.string.numeric(5)}.${f.number.int(999)})`,
    () => `Total: ${f.finance.amount({ min: 10_000, max: 9_999_999, dec: 2, symbol: '€ ' })} for ${f.number.int({ min: 1000, max: 99999 })} units`,
    () => `ISBN ${f.commerce.isbn()} in stock`,
    () => `reference ${f.string.numeric(8)}-${f.string.numeric(4)}; account id ${f.string.numeric(11)}`,
    () => `uuid ${f.string.uuid()} commit ${f.git.commitSha()}`,
    () => `at ${f.location.latitude()}, ${f.location.longitude()} postcode ${f.string.numeric(5)}`,
    () => `batch ${f.string.numeric(6)} lot ${f.string.numeric(9)} qty ${f.number.int({ min: 1000, max: 50000 })}`,
    () => `Meeting ${f.date.soon().toISOString()} dial-in code ${f.string.numeric(9)}#`,
    () => `ticket ${f.string.numeric(7)}, case ${f.string.numeric(10)}, PO ${f.string.numeric(9)}`,
    () => `elapsed ${f.number.int(23)}:${f.string.numeric(2)}:${f.string.numeric(2)}.${f.string.numeric(3)} pid ${f.number.int({ min: 1000, max: 99999 })}`,
  ];
  b.add(f.helpers.arrayElement(negatives)());
}

export function generateWorldCorpus(split: WorldSplit): LabelledText[] {
  const { seed, locales, records } = SPLITS[split];
  const entries = Object.entries(locales);
  const out: LabelledText[] = [];
  for (let i = 0; out.length < records; i++) {
    const [locale, country] = entries[i % entries.length]!;
    const f = allFakers[locale as keyof typeof allFakers];
    f.seed(seed + i);
    const b = new Builder();
    const kind = f.number.int(9);
    if (kind <= 3) {
      if (!phoneSentence(f, country, b)) continue;
    } else if (kind <= 5) cardSentence(f, b);
    else if (kind <= 7) otherSentence(f, b);
    else hardNegative(f, b);
    // a little unrelated prose on either side, in the locale's words
    const record = b.build();
    const lead = `${f.lorem.words(f.number.int({ min: 0, max: 4 }))} `.trimStart();
    const text = `${lead}${record.text} ${f.lorem.words(f.number.int({ min: 0, max: 3 }))}`.trimEnd();
    out.push({ text, spans: record.spans.map((s) => ({ ...s, start: s.start + lead.length, end: s.end + lead.length })) });
  }
  return out;
}

function main(): void {
  for (const split of Object.keys(SPLITS) as WorldSplit[]) {
    const corpus = generateWorldCorpus(split);
    writeFileSync(join(WORLD_DIR, worldFile(split)), `${corpus.map((t) => JSON.stringify(t)).join('\n')}\n`);
    console.log(`${split}: ${corpus.length} texts, ${corpus.reduce((n, t) => n + t.spans.length, 0)} labelled values`);
  }
}

if (require.main === module) main();
