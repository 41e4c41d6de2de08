// Payload shapes of docs/PROTOCOL.md section 5 (only the fields the dashboard reads).
export interface NodeData {
  id: string;
  node: string;
  name: string;
  host?: string;
  status: "online" | "offline" | "unknown" | string;
  cpu: number;
  maxcpu: number;
  mem: number;
  maxmem: number;
  disk: number;
  maxdisk: number;
  uptime: number;
  loadavg?: [number, number, number];
  temperatures: Record<string, number>;
  protected?: boolean;
}

export type GuestType = "qemu" | "lxc";

export interface VMData {
  vmid: number;
  name: string;
  node: string;
  type: GuestType;
  status: string;
  cpu: number;
  maxcpu: number;
  mem: number;
  maxmem: number;
  uptime: number;
  template: boolean;
  tags: string[];
  lock?: string;
  protected?: boolean;
}

export interface StorageData {
  id: string;
  storage: string;
  node: string;
  type: string;
  status: string;
  shared: boolean;
  content: string;
  used: number;
  total: number;
  avail: number;
}

export interface QuorumData {
  quorate: boolean;
  clusterName?: string;
  nodes: number;
  expected: number;
  totalVotes: number;
  expectedVotes: number;
  nodelist: { name: string; nodeid: number; ip: string; online: boolean; local: boolean; votes: number }[];
}

export interface TemperatureData {
  node: string;
  zones: Record<string, number>;
}

export interface EventTarget_ {
  node?: string;
  vmid?: number;
  name?: string;
  type?: GuestType | string;
}

export interface JarvisEvent {
  id: string;
  type: "alert" | "action" | "status" | "metric";
  severity: "info" | "warning" | "error" | "critical";
  title: string;
  message: string;
  node?: string;
  timestamp: string;
  resolvedAt?: string;
  data: {
    kind: string;
    tool?: string;
    status?: string;
    error?: string;
    args?: { node?: string; vmid?: number };
    target?: EventTarget_;
    taskType?: string;
    id?: string;
    node?: string;
    source?: string;
    ok?: boolean;
    [k: string]: unknown;
  };
}
