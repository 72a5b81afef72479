export { startSimulator, type Simulator, type SimulatorOptions, type SimulatorStats, type Outage } from './simulator'
export { PROFILES, type Profile } from './profiles'
