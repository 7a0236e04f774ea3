import { splitRows } from './split-rows';

describe('splitRows', () => {
  it('cuts a row-major matrix into views of `dimension` values, without copying', () => {
    const matrix = new Float32Array([1, 2, 3, 4, 5, 6]);
    const rows = splitRows(matrix, 3);
    expect(rows.map((row) => Array.from(row))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    matrix[4] = 50;
    expect(rows[1][1]).toBe(50);
  });
});
