// Published figures the built-in networks are compared with (MCUNet model zoo README, MCUNetV2
// Table 1, TinyEngine's generated code, msf-CNN, StreamNet). Figures only: the rig derives its own.
export interface Published {
  /** Source of the figures, for tables. */
  readonly source: string;
  readonly macs?: number;
  readonly params?: number;
  /** TinyEngine's on-board SRAM and flash, kB. */
  readonly sramKB?: number;
  readonly flashKB?: number;
  /** TinyEngine's static layer-wise plan (PEAK_MEM of its generated code). */
  readonly tinyEngineLayerwisePeakBytes?: number;
  /** TinyEngine's static patch-based plan: PEAK_MEM and the plan it belongs to. */
  readonly tinyEnginePatch?: { readonly peakBytes: number; readonly plan: string };
  /** msf-CNN's layer-wise peak (input + output of a layer, depthwise not in place). */
  readonly msfLayerwisePeakBytes?: number;
  /** msf-CNN's published fused plans: RAM in their metric at a MAC count. */
  readonly msfPoints?: readonly { readonly label: string; readonly ramBytes: number; readonly macs: number }[];
  /** MCUNetV2's Table 1: the network layer-wise and with patch-based inference. */
  readonly patchTable?: PublishedPatchTable;
}

/** MCUNetV2 Table 1, as printed: peaks in its metric (kB = 1024 B, rounded), MACs in millions. */
export interface PublishedPatchTable {
  readonly source: string;
  /** P: a P×P grid of patches. */
  readonly patches: number;
  readonly layerwisePeakKB: number;
  readonly patchPeakKB: number;
  /** The reduction the paper states (8×), not the ratio of the rounded peaks. */
  readonly peakReduction: number;
  readonly patchInput: { readonly h: number; readonly w: number };
  /** MACs of the patch stage and of the whole network with patch-based inference. */
  readonly stageMacs: number;
  readonly totalMacs: number;
  /** Patch-based over layer-wise MACs, minus 1: +42% for the stage, +10% overall. */
  readonly stageMacOverhead: number;
  readonly totalMacOverhead: number;
}

const msfPoints = (min: [number, number], at11: [number, number], at14: [number, number]) => [
  { label: 'minimum RAM', ramBytes: min[0], macs: min[1] },
  { label: 'MACs ≤ 1.1× layer-wise', ramBytes: at11[0], macs: at11[1] },
  { label: 'MACs ≤ 1.4× layer-wise', ramBytes: at14[0], macs: at14[1] },
];

const zoo = (macsM: number, paramsM: number, sramKB: number, flashKB: number): Published => ({
  source: 'MCUNet model zoo',
  macs: macsM * 1e6,
  params: paramsM * 1e6,
  sramKB,
  flashKB,
});

export const PUBLISHED: ReadonlyMap<string, Published> = new Map<string, Published>([
  ['mbv2-w0.35', zoo(23.5, 0.75, 308, 862)],
  ['proxyless-w0.3', zoo(38.3, 0.75, 292, 892)],
  ['mcunet-in0', zoo(6.4, 0.75, 266, 889)],
  ['mcunet-in1', zoo(12.8, 0.64, 307, 992)],
  ['mcunet-in2', zoo(67.3, 0.73, 242, 878)],
  ['mcunet-in3', zoo(81.8, 0.74, 293, 897)],
  ['mcunet-in4', zoo(125.9, 1.73, 456, 1876)],
  ['mcunet-vww0', zoo(6.0, 0.37, 146, 617)],
  [
    'mcunet-vww1',
    {
      ...zoo(11.6, 0.43, 162, 689),
      tinyEngineLayerwisePeakBytes: 93_992,
      tinyEnginePatch: { peakBytes: 62_352, plan: '2×2 patches, stage = first 5 layers ending at 20×20×48 (before a projection), patch input 47×47' },
    },
  ],
  ['mcunet-vww2', zoo(55.8, 0.64, 311, 897)],
  [
    'mbv2-w1.0-r224',
    {
      source: 'MCUNetV2 Table 1',
      macs: 300e6,
      patchTable: {
        source: 'MCUNetV2 (arXiv 2110.15352) Table 1',
        patches: 4,
        layerwisePeakKB: 1372,
        patchPeakKB: 172,
        peakReduction: 8,
        patchInput: { h: 75, w: 75 },
        stageMacs: 130e6,
        totalMacs: 330e6,
        stageMacOverhead: 0.42,
        totalMacOverhead: 0.1,
      },
    },
  ],
  [
    'msf-mbv2-w0.35-r144',
    {
      source: 'msf-CNN',
      macs: 18_909_490,
      msfLayerwisePeakBytes: 194_400,
      msfPoints: msfPoints([7_887, 31_758_160], [67_905, 20_751_538], [15_340, 26_132_080]),
    },
  ],
  [
    'msf-vww-5fps-r80',
    {
      source: 'msf-CNN',
      macs: 11_578_496,
      msfLayerwisePeakBytes: 96_000,
      msfPoints: msfPoints([12_000, 22_655_616], [32_792, 12_024_576], [13_376, 15_576_576]),
    },
  ],
  [
    'msf-mcunet-320kb-r176',
    {
      source: 'msf-CNN',
      macs: 81_625_520,
      msfLayerwisePeakBytes: 309_760,
      msfPoints: msfPoints([42_643, 219_971_376], [190_096, 84_987_824], [156_672, 111_725_744]),
    },
  ],
]);

/**
 * The int8 TFLite file the MCUNet model zoo released for each of its networks (real weights), by
 * the built-in twin's name; imported, a file's model is named after it (`mcunet-10fps_imagenet`).
 */
export const RELEASED_TFLITE: ReadonlyMap<string, string> = new Map([
  ['mbv2-w0.35', 'mbv2-w0.35-r144_imagenet.tflite'],
  ['proxyless-w0.3', 'proxyless-w0.3-r176_imagenet.tflite'],
  ['mcunet-in0', 'mcunet-10fps_imagenet.tflite'],
  ['mcunet-in1', 'mcunet-5fps_imagenet.tflite'],
  ['mcunet-in2', 'mcunet-256kb-1mb_imagenet.tflite'],
  ['mcunet-in3', 'mcunet-320kb-1mb_imagenet.tflite'],
  ['mcunet-in4', 'mcunet-512kb-2mb_imagenet.tflite'],
  ['mcunet-vww0', 'mcunet-10fps_vww.tflite'],
  ['mcunet-vww1', 'mcunet-5fps_vww.tflite'],
  ['mcunet-vww2', 'mcunet-320kb-1mb_vww.tflite'],
]);

/** StreamNet's headline comparison with patch-based inference; no per-network figures are published. */
/** MCUFormer's headline: a vision transformer on an STM32F746 within its 320 KB of SRAM. */
export const MCUFORMER = {
  source: 'MCUFormer (Liang et al., NeurIPS 2023)',
  board: 'STM32F746',
  /** ImageNet top-1 accuracy, percent, of its searched network within the budget. */
  top1: 73.62,
  /** The SRAM budget its search and its engine keep to. */
  sramBytes: 320 * 1024,
} as const;

export const STREAMNET = {
  source: 'StreamNet (NeurIPS 2023)',
  board: 'STM32F767ZI at 216 MHz',
  /** The ten MCUNet-zoo networks the geometric means are over. */
  models: ['mbv2-w0.35', 'proxyless-w0.3', 'mcunet-vww0', 'mcunet-vww1', 'mcunet-vww2', 'mcunet-in0', 'mcunet-in1', 'mcunet-in2', 'mcunet-in3', 'mcunet-in4'],
  /** StreamNet-2D against patch-based inference, geometric means: 81% fewer MACs, 7.3× faster. */
  macSaving: 0.81,
  speedup: 7.3,
} as const;
