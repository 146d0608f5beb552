// A Steward data converter in the loaded form that code decoding history by itself needs (the run views): the
// payload and failure converters the SDK would require from their paths, taken from their modules, and the codecs.
import { defaultFailureConverter, defaultPayloadConverter, type DataConverter, type LoadedDataConverter } from '@temporalio/common';
import { FAILURE_CONVERTER_PATH } from './data-converter';
import { failureConverter } from './failure-converter';

/** The loaded form of a converter made by `createTenantDataConverter` (or one with no converter paths at all). */
export function loadTenantDataConverter(converter: DataConverter): LoadedDataConverter {
  if (converter.payloadConverterPath !== undefined) throw new TypeError('a Steward data converter uses the default payload converter: it names no payloadConverterPath');
  if (converter.failureConverterPath !== undefined && converter.failureConverterPath !== FAILURE_CONVERTER_PATH) {
    throw new TypeError(`a Steward data converter's failure converter is ${FAILURE_CONVERTER_PATH}, not ${converter.failureConverterPath}`);
  }
  return {
    payloadConverter: defaultPayloadConverter,
    failureConverter: converter.failureConverterPath === undefined ? defaultFailureConverter : failureConverter,
    payloadCodecs: converter.payloadCodecs ?? [],
  };
}
