import type {DataId, DataType, TensorInfo} from '@tensorflow/tfjs-core';

import type {BlockLayout, BlockTable} from './block_layout';

/** What GPU backends (webgpu, webgl) offer for data that the engine does not track. */
export interface TableBackend {
  makeTensorInfo(shape: number[], dtype: DataType, values: Int32Array): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/**
 * A layout's lookup tables as int32 backend tensors (GPU buffers or
 * textures), built once per layout and backend and reused by every call.
 * They live in the backend, outside the engine's tensor count, and are
 * freed when the layout is garbage collected.
 *
 * Segment tables hold [ptr (segments + 1) | block (nnz) | other (nnz)];
 * the coordinate table holds [rows (nnz) | cols (nnz)].
 */
export type TableKind = 'byColumn'|'byRow'|'coords';

type LayoutTables = Partial<Record<TableKind, TensorInfo>>;

const cache = new WeakMap<TableBackend, WeakMap<BlockLayout, LayoutTables>>();
const release = new FinalizationRegistry<{backend: TableBackend, tables: LayoutTables}>(
    ({backend, tables}) => {
      for (const info of Object.values(tables)) {
        backend.disposeData(info.dataId, true);
      }
    });

export function layoutTable(backend: TableBackend, layout: BlockLayout, kind: TableKind): TensorInfo {
  let perLayout = cache.get(backend);
  if (perLayout == null) {
    perLayout = new WeakMap();
    cache.set(backend, perLayout);
  }
  let tables = perLayout.get(layout);
  if (tables == null) {
    tables = {};
    perLayout.set(layout, tables);
    release.register(layout, {backend, tables});
  }
  let info = tables[kind];
  if (info == null) {
    const values = tableValues(layout, kind);
    info = backend.makeTensorInfo([values.length], 'int32', values);
    tables[kind] = info;
  }
  return info;
}

function tableValues(layout: BlockLayout, kind: TableKind): Int32Array {
  if (kind === 'coords') {
    const values = new Int32Array(2 * layout.nnz);
    values.set(layout.rows);
    values.set(layout.cols, layout.nnz);
    return values;
  }
  const table: BlockTable = kind === 'byColumn' ? layout.byColumn() : layout.byRow();
  const values = new Int32Array(table.ptr.length + 2 * layout.nnz);
  values.set(table.ptr);
  values.set(table.block, table.ptr.length);
  values.set(table.other, table.ptr.length + layout.nnz);
  return values;
}
