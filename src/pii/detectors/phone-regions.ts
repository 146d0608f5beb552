// Numbering plans of the regions a national phone number (one written without its country code) is checked
// against: which trunk prefix each region dials, which lengths it issues and which number ranges exist, from
// libphonenumber's full metadata. A check costs a prefix comparison, a length lookup and one anchored pattern per
// region, instead of a full parse per region.
import { Metadata, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/metadata.max.json';

/**
 * The regions tried when neither the tenant nor the definition names any: the larger economies of every
 * continent, so a number written the way most of the world writes it is recognised out of the box.
 */
export const DEFAULT_PHONE_REGIONS: readonly CountryCode[] = [
  'US', 'CA', 'GB', 'IE', 'FR', 'DE', 'AT', 'CH', 'BE', 'NL', 'LU', 'IT', 'ES', 'PT', 'SE', 'NO', 'DK', 'FI', 'IS',
  'PL', 'CZ', 'SK', 'HU', 'RO', 'BG', 'GR', 'HR', 'SI', 'RS', 'EE', 'LV', 'LT', 'UA', 'RU', 'TR', 'IL', 'AE', 'SA',
  'EG', 'MA', 'ZA', 'NG', 'KE', 'IN', 'PK', 'BD', 'CN', 'HK', 'TW', 'JP', 'KR', 'SG', 'MY', 'TH', 'VN', 'ID', 'PH',
  'AU', 'NZ', 'BR', 'MX', 'AR', 'CL', 'CO', 'PE',
];

// Every kind of number a plan issues; a national number is valid when one of them matches it whole.
const NUMBER_TYPES = ['FIXED_LINE', 'MOBILE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;

interface RegionPlan {
  readonly callingCode: string;
  /** The trunk prefix dialled before national numbers ("0", "8", "06"), if the region has one. */
  readonly trunkPrefix: string | undefined;
  /** National significant number lengths, one bit per length. */
  readonly lengths: number;
  readonly valid: RegExp;
}

// The parts of the metadata reader used here; its published typings leave them out.
interface PlanReader {
  callingCode(): string;
  nationalPrefix(): string | undefined;
  possibleLengths(): number[];
  type(type: string): { pattern(): string } | undefined;
}
interface MetadataReader {
  hasCountry(region: string): boolean;
  selectNumberingPlan(region: string): void;
  numberingPlan: PlanReader | undefined;
}

const metadata = new Metadata(maxMetadata as unknown as MetadataJson) as unknown as MetadataReader;
const plans = new Map<string, RegionPlan | null>();

/** Whether libphonenumber knows `region`. */
export function isKnownRegion(region: string): region is CountryCode {
  return metadata.hasCountry(region);
}

function planOf(region: CountryCode): RegionPlan | undefined {
  let plan = plans.get(region);
  if (plan === undefined) {
    plan = null;
    if (metadata.hasCountry(region)) {
      metadata.selectNumberingPlan(region);
      const numbering = metadata.numberingPlan!;
      const patterns = NUMBER_TYPES.flatMap((type) => numbering.type(type)?.pattern() ?? []);
      let lengths = 0;
      for (const length of numbering.possibleLengths()) lengths |= 1 << length;
      plan = {
        callingCode: numbering.callingCode(),
        trunkPrefix: numbering.nationalPrefix() || undefined,
        lengths,
        valid: new RegExp(`^(?:${patterns.map((p) => `(?:${p})`).join('|')})$`),
      };
    }
    plans.set(region, plan);
  }
  return plan ?? undefined;
}

/** How a national number was written: with the region's trunk prefix (or a leading 0 its plan keeps), or bare. */
export type NationalForm = 'trunk' | 'bare';

export interface NationalMatch {
  readonly region: CountryCode;
  readonly form: NationalForm;
  /** The number in E.164: `+`, calling code, national significant number. */
  readonly e164: string;
}

function isValidNational(plan: RegionPlan, national: string): boolean {
  return national.length < 32 && (plan.lengths & (1 << national.length)) !== 0 && plan.valid.test(national);
}

/**
 * The digits a number that `matchNational` calls `trunk` for one of `regions` can open with, one bit per digit:
 * the first digit of each region's trunk prefix, and 0 (plans that keep a leading 0 in the number itself).
 */
export function trunkOpeningDigits(regions: readonly CountryCode[]): number {
  let digits = 1 << 0;
  for (const region of regions) {
    const trunk = planOf(region)?.trunkPrefix;
    if (trunk !== undefined) digits |= 1 << (trunk.charCodeAt(0) - 48);
  }
  return digits;
}

/** The first of `regions` (in order) where the digit string `digits` is a valid national number, preferring a
 *  region where it is written with its trunk prefix. */
export function matchNational(digits: string, regions: readonly CountryCode[]): NationalMatch | undefined {
  let bare: NationalMatch | undefined;
  for (const region of regions) {
    const plan = planOf(region);
    if (plan === undefined) continue;
    const trunk = plan.trunkPrefix;
    if (trunk !== undefined && digits.startsWith(trunk) && isValidNational(plan, digits.slice(trunk.length))) {
      return { region, form: 'trunk', e164: `+${plan.callingCode}${digits.slice(trunk.length)}` };
    }
    if (isValidNational(plan, digits)) {
      // plans that keep the leading 0 in the number itself (Italy) are written like trunk-prefixed ones
      if (digits.charCodeAt(0) === 48) return { region, form: 'trunk', e164: `+${plan.callingCode}${digits}` };
      bare ??= { region, form: 'bare', e164: `+${plan.callingCode}${digits}` };
    }
  }
  return bare;
}
