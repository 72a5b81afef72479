export { PROFILES, type Profile } from './profiles'
export {
  type Outage,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from './simulator'
