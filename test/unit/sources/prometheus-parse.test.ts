import { parseInstantQuery, type QueryOutcome } from '../../../src/sources/prometheus';

const vector = (...values: string[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1700000000, v] })),
  },
});

describe('parseInstantQuery', () => {
  const cases: Array<[string, unknown, QueryOutcome]> = [
    ['one sample', vector('12.5'), { kind: 'value', value: 12.5 }],
    ['zero is a value, not missing', vector('0'), { kind: 'value', value: 0 }],
    [
      'a scalar result',
      { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } },
      { kind: 'value', value: 3 },
    ],
    ['an empty vector is no data', vector(), { kind: 'no-data' }],
    ['NaN (0/0) is no data', vector('NaN'), { kind: 'no-data' }],
    ['+Inf is an error', vector('+Inf'), { kind: 'error', error: 'query returned +Inf (division by zero?)' }],
    ['-Inf is an error', vector('-Inf'), { kind: 'error', error: 'query returned -Inf (division by zero?)' }],
    [
      'several series are an error',
      vector('1', '2'),
      { kind: 'error', error: 'query returned 2 series; aggregate it to one (e.g. sum(...))' },
    ],
    [
      'a range result is an error',
      { status: 'success', data: { resultType: 'matrix', result: [] } },
      { kind: 'error', error: 'expected an instant vector, got matrix' },
    ],
    [
      'an API error keeps its type and message',
      { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' },
      { kind: 'error', error: 'bad_data: parse error at char 3' },
    ],
    ['not an object', 'hello', { kind: 'error', error: 'response is not a JSON object' }],
    [
      'a value that is not a number',
      vector('abc'),
      { kind: 'error', error: 'sample value "abc" is not a number' },
    ],
  ];

  test.each(cases)('%s', (_name, body, expected) => {
    expect(parseInstantQuery(body)).toEqual(expected);
  });
});
