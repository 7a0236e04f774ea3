import { filterVisibleGpus, hidesAllGpus } from './cuda-visible-devices';
import { GpuInfo } from './gpu';

const gpu = (index: number, uuid: string): GpuInfo => ({
  index,
  uuid,
  name: 'NVIDIA H100',
  memoryTotalMb: 81_559,
  memoryFreeMb: 80_000,
});
const gpus = [gpu(0, 'GPU-aaaa1111'), gpu(1, 'GPU-bbbb2222'), gpu(2, 'GPU-bbbc3333')];

describe('filterVisibleGpus', () => {
  it.each<[string | undefined, number[]]>([
    [undefined, [0, 1, 2]],
    ['', []],
    ['-1', []],
    ['1', [1]],
    ['2,0', [2, 0]],
    [' 1 , 2 ', [1, 2]],
    ['GPU-bbbb2222', [1]],
    ['GPU-aaaa', [0]],
    ['GPU-bbb', []], // ambiguous prefix ends the list, as in CUDA
    ['0,7,1', [0]], // the list ends at the first unknown entry
    ['1,1', [1]],
    ['MIG-1234', []],
  ])('CUDA_VISIBLE_DEVICES=%j → %j', (value, indices) => {
    expect(filterVisibleGpus(gpus, value).map((g) => g.index)).toEqual(indices);
  });
});

describe('hidesAllGpus', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', true],
    ['-1', true],
    ['-1,0', true],
    ['0', false],
  ])('%j → %s', (value, hidden) => expect(hidesAllGpus(value)).toBe(hidden));
});
